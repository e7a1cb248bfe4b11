#!/usr/bin/env node
/**
 * Lists the files of the project that a bare GPU machine needs (used by pack-gpu.sh):
 * package.json, dist/ (no source maps), scenarios/, and a pruned production node_modules:
 * only the packages the compiled entry points import statically (plus the WebGPU peers),
 * with their dependencies; in them no tests, docs, type declarations, source maps or other
 * platforms' binaries, and of the @tensorflow packages only their self-contained Node bundle.
 *
 * Usage: node scripts/pack-gpu-files.mjs --root DIR [--include a,b] [--list FILE] [--summary FILE]
 * Exit 3 (with the npm command to run) when the WebGPU peers are not installed.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';

/** The versions splitwire's GPU path was checked with (webgpu: newest on npm, 2026-10). */
export const WEBGPU_VERSION = '0.6.2';
const GPU_PEERS = ['webgpu', '@tensorflow/tfjs-backend-webgpu'];

/** Compiled entry points: CLI, bench, the compute-pool worker and the actor-host worker. */
const ENTRIES = ['dist/cli/main.js', 'dist/bench/main.js', 'dist/compute/worker.js', 'dist/actors/hostWorker.js'];

const TARGET_PLATFORM = 'linux-x64';
const PLATFORM_DIR = /^(darwin|win32|linux|freebsd|android|sunos|aix|openbsd)-(x64|arm64|arm|ia32|universal|riscv64|s390x|ppc64|loong64)$/;
/** Skipped only at a package's top level: deeper, such names can be code (yaml's dist/doc/). */
const SKIP_TOP_DIRS = new Set(['test', 'tests', '__tests__', 'docs', 'example', 'examples', 'benchmark', 'benchmarks', '.github', 'coverage']);
const SKIP_FILE = /(\.map|\.d\.[cm]?ts|\.[cm]?ts|\.md|\.markdown|\.tsbuildinfo|\.tgz)$|^(CHANGELOG|HISTORY)(\..*)?$|^\.(npmignore|eslintrc.*|prettierrc.*|editorconfig)$/i;

const IMPORT_RE = /(?:^|[;\s}])(?:import|export)\s*(?:[^'";]*?\sfrom\s*)?['"]([^'"\n]+)['"]/g;
const DYNAMIC_RE = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;

function packageOf(spec) {
  if (spec.startsWith('node:') || spec.startsWith('.') || spec.startsWith('/')) return null;
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** Bare packages imported statically (and only dynamically) from the entries' module graph. */
function tracePackages(root, entries) {
  const seen = new Set();
  const stat = new Set();
  const dyn = new Set();
  const walk = (file) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(IMPORT_RE)) {
      const spec = m[1];
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
      else if (packageOf(spec)) stat.add(packageOf(spec));
    }
    for (const m of src.matchAll(DYNAMIC_RE)) if (packageOf(m[1])) dyn.add(packageOf(m[1]));
  };
  for (const e of entries) walk(resolve(root, e));
  return { staticPkgs: stat, dynamicPkgs: [...dyn].filter((p) => !stat.has(p)), modules: seen.size };
}

/** Node's lookup: `name` from `fromDir` upwards through node_modules folders, within root. */
function resolvePkg(root, name, fromDir) {
  let dir = fromDir;
  for (;;) {
    const cand = join(dir, 'node_modules', name);
    if (existsSync(join(cand, 'package.json'))) return cand;
    if (resolve(dir) === resolve(root)) return null;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

const readJson = (f) => JSON.parse(readFileSync(f, 'utf8'));

/** Every file under `dir` (not entering nested node_modules), with sizes, and which are kept. */
function walkPackage(dir, keep) {
  const out = [];
  const rec = (d) => {
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) {
        if (ent.name === 'node_modules') continue;
        rec(p);
      } else if (ent.isFile()) {
        out.push({ path: p, size: statSync(p).size, kept: keep(p, ent.name) });
      }
    }
  };
  rec(dir);
  return out;
}

/** The @tensorflow packages ship a self-contained Node bundle as `main`; is this one? */
function bundleMain(dir, pkg) {
  if (!pkg.name?.startsWith('@tensorflow/') || pkg.exports !== undefined || typeof pkg.main !== 'string') return null;
  const main = join(dir, pkg.main);
  if (!existsSync(main)) return null;
  const src = readFileSync(main, 'utf8');
  return /require\(\s*['"]\.{1,2}\//.test(src) ? null : main;
}

function keepRule(dir, pkg) {
  const main = bundleMain(dir, pkg);
  return (p, name) => {
    const rel = relative(dir, p);
    const segs = rel.split(sep);
    if (segs.length > 1 && SKIP_TOP_DIRS.has(segs[0])) return false;
    if (segs.slice(0, -1).some((s) => PLATFORM_DIR.test(s) && s !== TARGET_PLATFORM)) return false;
    if (/^LICEN[CS]E/i.test(name) || name === 'package.json') return true;
    if (main !== null) return p === main || (dirname(p) === dirname(main) && name.endsWith('.wasm'));
    return !SKIP_FILE.test(name);
  };
}

function human(bytes) {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function main() {
  const { values } = parseArgs({
    options: { root: { type: 'string' }, include: { type: 'string' }, list: { type: 'string' }, summary: { type: 'string' } },
  });
  const root = resolve(values.root ?? '.');
  const rootPkg = readJson(join(root, 'package.json'));
  const missingEntry = ENTRIES.filter((e) => !existsSync(join(root, e))).filter((e) => e !== 'dist/actors/hostWorker.js');
  if (missingEntry.length > 0) {
    process.stderr.write(`pack-gpu: ${missingEntry.join(', ')} missing under ${root}: run \`npm run build\` first (or pass --build)\n`);
    return 2;
  }
  const { staticPkgs, dynamicPkgs, modules } = tracePackages(root, ENTRIES);
  const extra = (values.include ?? '').split(',').filter(Boolean);
  const wanted = [...new Set([...staticPkgs, ...GPU_PEERS, ...extra])];

  // Dependency closure, by Node's resolution from each requiring package.
  const kept = new Map(); // dir -> package.json
  const missing = [];
  const queue = wanted.map((name) => ({ name, from: root, top: true }));
  while (queue.length > 0) {
    const { name, from, top, optional } = queue.shift();
    const dir = resolvePkg(root, name, from);
    if (dir === null) {
      if (top || !optional) missing.push(name);
      continue;
    }
    if (kept.has(dir)) continue;
    const pkg = readJson(join(dir, 'package.json'));
    kept.set(dir, pkg);
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: dir });
    for (const dep of [...Object.keys(pkg.optionalDependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]) {
      queue.push({ name: dep, from: dir, optional: true });
    }
  }

  const files = [];
  const rows = [];
  for (const [dir, pkg] of kept) {
    const all = walkPackage(dir, keepRule(dir, pkg));
    const keptFiles = all.filter((f) => f.kept);
    files.push(...keptFiles.map((f) => relative(root, f.path)));
    rows.push({
      name: pkg.name,
      version: pkg.version,
      bytes: keptFiles.reduce((n, f) => n + f.size, 0),
      fullBytes: all.reduce((n, f) => n + f.size, 0),
    });
  }
  const own = [];
  const addTree = (sub, keep) => {
    const dir = join(root, sub);
    if (!existsSync(dir)) return;
    for (const f of walkPackage(dir, keep)) if (f.kept) own.push({ rel: relative(root, f.path), size: f.size });
  };
  addTree('dist', (_p, name) => !name.endsWith('.map'));
  addTree('scenarios', () => true);
  own.push({ rel: 'package.json', size: statSync(join(root, 'package.json')).size });
  // The PyTorch reference step, for gpuVsTorchCudaTrainStep on the GPU machine.
  const torchScript = join(root, 'scripts', 'torch_unet_step.py');
  if (existsSync(torchScript)) own.push({ rel: 'scripts/torch_unet_step.py', size: statSync(torchScript).size });
  files.unshift(...own.map((o) => o.rel));

  // Production dependencies the entries never import statically: left out.
  // Sizes count each one's own dependencies that nothing kept needs (duckdb's binary, say).
  const closureBytes = (name) => {
    const seen = new Set();
    const stack = [{ name, from: root }];
    let bytes = 0;
    while (stack.length > 0) {
      const { name: n, from } = stack.pop();
      const dir = resolvePkg(root, n, from);
      if (dir === null || seen.has(dir) || kept.has(dir)) continue;
      seen.add(dir);
      bytes += walkPackage(dir, () => true).reduce((sum, f) => sum + f.size, 0);
      const pkg = readJson(join(dir, 'package.json'));
      for (const dep of [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]) stack.push({ name: dep, from: dir });
    }
    return bytes;
  };
  const leftOut = Object.keys(rootPkg.dependencies ?? {})
    .filter((d) => ![...kept.values()].some((p) => p.name === d))
    .map((d) => ({ name: d, bytes: closureBytes(d), dynamicOnly: dynamicPkgs.includes(d) }));

  const core = resolvePkg(root, '@tensorflow/tfjs-core', root);
  const coreVersion = core ? readJson(join(core, 'package.json')).version : '4.22.0';
  const problems = [];
  if (missing.some((m) => GPU_PEERS.includes(m))) {
    problems.push(
      `the WebGPU packages are not installed (${GPU_PEERS.filter((p) => missing.includes(p)).join(', ')}).\n` +
        `  Install them without touching package.json, then pack again:\n` +
        `    npm install --no-save webgpu@${WEBGPU_VERSION} @tensorflow/tfjs-backend-webgpu@${coreVersion}`,
    );
  }
  const otherMissing = missing.filter((m) => !GPU_PEERS.includes(m));
  if (otherMissing.length > 0) problems.push(`packages not found under ${join(root, 'node_modules')}: ${otherMissing.join(', ')} (run npm ci)`);
  const backendWebgpu = [...kept.values()].find((p) => p.name === '@tensorflow/tfjs-backend-webgpu');
  if (backendWebgpu && backendWebgpu.version !== coreVersion) {
    problems.push(`@tensorflow/tfjs-backend-webgpu ${backendWebgpu.version} does not match @tensorflow/tfjs-core ${coreVersion}: install @tensorflow/tfjs-backend-webgpu@${coreVersion}`);
  }

  const ownBytes = own.reduce((n, o) => n + o.size, 0);
  const pkgBytes = rows.reduce((n, r) => n + r.bytes, 0);
  const lines = [
    `app: ${modules} compiled modules traced from ${ENTRIES.join(', ')}`,
    `  dist/ (no .map), scenarios/, package.json: ${human(ownBytes)} in ${own.length} files`,
    `  node_modules: ${rows.length} packages, ${human(pkgBytes)} kept of ${human(rows.reduce((n, r) => n + r.fullBytes, 0))}`,
    ...rows
      .sort((a, b) => b.bytes - a.bytes)
      .filter((r) => r.bytes >= 256 * 1024)
      .map((r) => `    ${human(r.bytes).padStart(10)} (of ${human(r.fullBytes)})  ${r.name}@${r.version}`),
    `  left out (not imported statically by the entries; --include to add):`,
    ...leftOut.map((l) => `    ${human(l.bytes).padStart(10)}  ${l.name} and its own dependencies${l.dynamicOnly ? ' (imported dynamically only)' : ''}`),
    `  app total before compression: ${human(ownBytes + pkgBytes)}`,
  ];
  const summary = { root, files: files.length, ownBytes, packageBytes: pkgBytes, packages: rows, leftOut, missing, problems };
  if (values.list) writeFileSync(values.list, `${files.join('\n')}\n`);
  if (values.summary) writeFileSync(values.summary, JSON.stringify(summary, null, 2));
  process.stdout.write(`${lines.join('\n')}\n`);
  if (problems.length > 0) {
    process.stderr.write(problems.map((p) => `pack-gpu: ${p}`).join('\n') + '\n');
    return 3;
  }
  return 0;
}

process.exitCode = main();
