#!/usr/bin/env bash
# Runs splitwire on a bare GPU machine from the folder scripts/pack-gpu.sh wrote (this script
# sits in it): unpacks Node and the app, installs the Vulkan loader and glvnd libraries the
# NVIDIA Vulkan driver needs, points the loader at the driver, and runs. See docs/gpu.md.
set -euo pipefail

PACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="${SPLITWIRE_GPU_WORK:-/tmp/splitwire-gpu}"
ICD_DEFAULT=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json

usage() {
  cat <<EOF
Usage: bash run-on-gpu.sh [COMMAND [ARGS...]]

Commands:
  check [ARGS]    (default) scripts/gpu-check.mjs: WebGPU adapter, op agreement with the cpu
                  backend, conv gradient timings (tfjs-webgpu's kernels vs splitwire's composed
                  ones), U-Net training steps, the compute pool on WebGPU. JSON on stdout.
                  ARGS: --quick, --only backend,agreement,convgrads,train,pool, --out FILE
  bench [ARGS]    node dist/bench/main.js --backend webgpu ARGS (when the bench has that flag)
  node [ARGS]     node ARGS in the app folder, e.g.
                    node dist/cli/main.js run scenarios/quickstart.yaml --set compute.backend=webgpu
  env             unpack and set up only, then print what was found

Environment:
  SPLITWIRE_GPU_WORK   where to unpack (default /tmp/splitwire-gpu)
  SPLITWIRE_GPU_LIBS   system: unpack the .debs into / and run ldconfig (default as root);
                       private: into \$SPLITWIRE_GPU_WORK/sysroot, found via LD_LIBRARY_PATH
  VK_DRIVER_FILES      Vulkan driver manifest (default $ICD_DEFAULT when present)
  SPLITWIRE_GPU_CONV_GRADS  0 | filter | input | 1: which composed conv gradient kernels to use
EOF
}

cmd="${1:-check}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  -h|--help|help) usage; exit 0 ;;
  check|bench|node|env) ;;
  *) usage >&2; echo "run-on-gpu: unknown command '$cmd'" >&2; exit 2 ;;
esac

# xz, else Python's lzma (Ubuntu images may lack xz-utils).
unxz_to() {
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"
  elif command -v python3 >/dev/null; then python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  else echo "run-on-gpu: need xz or python3 to unpack $1" >&2; exit 1
  fi
}

# A .deb's files, by dpkg, else by Python (a .deb is an ar archive holding data.tar.*).
deb_extract() {
  if command -v dpkg >/dev/null; then dpkg -x "$1" "$2"; return; fi
  python3 - "$1" "$2" <<'PY'
import io, sys, tarfile, lzma
data = open(sys.argv[1], 'rb').read()
pos = 8
while pos < len(data):
    name = data[pos:pos + 16].decode().strip().rstrip('/')
    size = int(data[pos + 48:pos + 58].decode().strip())
    body = data[pos + 60:pos + 60 + size]
    if name.startswith('data.tar'):
        raw = lzma.decompress(body) if name.endswith('.xz') else body
        tarfile.open(fileobj=io.BytesIO(raw)).extractall(sys.argv[2])
    pos += 60 + size + (size & 1)
PY
}

LIBS="${SPLITWIRE_GPU_LIBS:-$([[ "$(id -u)" -eq 0 ]] && echo system || echo private)}"
[[ "$LIBS" == system || "$LIBS" == private ]] || { echo "run-on-gpu: SPLITWIRE_GPU_LIBS: must be system or private, got '$LIBS'" >&2; exit 2; }
stamp="$(cksum < "$PACK/MANIFEST.txt") $LIBS"
if [[ "$(cat "$WORK/.stamp" 2>/dev/null || true)" != "$stamp" ]]; then
  echo "run-on-gpu: unpacking into $WORK" >&2
  rm -rf "$WORK" && mkdir -p "$WORK/bin" "$WORK/app"
  node_xz="$(ls "$PACK"/node-linux-x64-*.xz | head -1)"
  unxz_to "$node_xz" "$WORK/bin/node" && chmod +x "$WORK/bin/node"
  unxz_to "$PACK/app.tar.xz" "$WORK/app.tar" && tar -xf "$WORK/app.tar" -C "$WORK/app" && rm "$WORK/app.tar"
  # The Vulkan loader and glvnd: into / as root (then ldconfig), else into a private prefix.
  if [[ "$LIBS" == system ]]; then
    for deb in "$PACK"/debs/*.deb; do deb_extract "$deb" /; done
    ldconfig
  else
    mkdir -p "$WORK/sysroot"
    for deb in "$PACK"/debs/*.deb; do deb_extract "$deb" "$WORK/sysroot"; done
  fi
  echo "$stamp" > "$WORK/.stamp"
fi
if [[ -d "$WORK/sysroot" ]]; then
  export LD_LIBRARY_PATH="$WORK/sysroot/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [[ -z "${VK_DRIVER_FILES:-}" ]]; then
  for icd in "$ICD_DEFAULT" /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [[ -f "$icd" ]]; then export VK_DRIVER_FILES="$icd"; break; fi
  done
fi
export PATH="$WORK/bin:$PATH"
cd "$WORK/app"

{
  echo "run-on-gpu: node $(node --version), VK_DRIVER_FILES=${VK_DRIVER_FILES:-<none found: Dawn will see no NVIDIA adapter>}"
  command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | sed 's/^/run-on-gpu: /' || true
} >&2

case "$cmd" in
  env) exit 0 ;;
  check) exec node scripts/gpu-check.mjs "$@" ;;
  node) exec node "$@" ;;
  bench)
    if ! node dist/bench/main.js --help 2>/dev/null | grep -q -- '--backend'; then
      echo "run-on-gpu: dist/bench/main.js has no --backend flag yet (its trainStep entry selects wasm itself); use 'check', which times training on WebGPU" >&2
      exit 2
    fi
    exec node dist/bench/main.js --backend webgpu "$@" ;;
esac
