/**
 * The simulator's entry to the data layer: per-client training data and one held-out test
 * set, from a synthetic family or a folder, with label skew (partition) and per-site
 * appearance shift (style). Streams, under `new Rng(seed, 'data')`:
 *   site/<k>/style        client k's StyleShift
 *   site/<k>/sample/<i>   synthetic sample i of client k (IID and folder partitions)
 *   pool/sample/<i>       synthetic pool sample i (Dirichlet partition)
 *   partition, split      index shuffles
 *   test/sample/<j>       held-out sample j, styled like site j mod clients
 */
import { Rng } from '../sim/rng.js';
import { loadFolder } from './folder.js';
import { distinctSites, partition } from './partition.js';
import { applyStyle, identityStyle, isIdentityStyle, siteStyle } from './style.js';
import { generateSamples, syntheticInfo } from './synthetic.js';
import type { Dataset, Sample, StyleShift, SyntheticKind } from './types.js';

/** Options of buildClientData; fields map to a scenario's `data:` section. */
export interface ClientDataOptions {
  kind: 'lesion' | 'blastocyst' | 'folder';
  /** Folder root (kind 'folder' only); layout in folder.ts. */
  path?: string;
  /** Image side in pixels. */
  size: number;
  /** Synthetic: samples per client (Dirichlet: the pool holds clients × this). Folder: a cap per client. */
  samplesPerClient: number;
  /** Held-out samples, mixing every site's style (folder: drawn round-robin across sites). */
  testSamples: number;
  clients: number;
  partition: 'iid' | 'dirichlet' | 'folder';
  /** Dirichlet concentration; used only by partition 'dirichlet'. */
  alpha: number;
  /** Site style strength (0 = none); see siteStyle. Synthetic kinds only: folder images are real photographs of real sites and are used as they are. */
  styleShift: number;
  seed: number;
  /** Folder only: mask encoding (default 'index'; scenarios default to 'auto', see folder.ts). */
  maskMode?: 'auto' | 'index' | 'binary';
  /** Number of classes. Folder: default inferred from the masks; synthetic: must match the family. */
  classes?: number;
}

/** Training data dealt to clients plus a shared held-out test set. */
export interface ClientData {
  /** All training samples; clientIndices point into dataset.samples. */
  dataset: Dataset;
  clientIndices: number[][];
  /** Held-out samples drawn from all sites' styles. */
  test: Dataset;
  /** One name per client: the site folder name, or `site-<k>`. */
  sites: string[];
  /** The appearance shift of each client's site (identity when styleShift is 0, and for folder data). */
  styles: StyleShift[];
  /** How the data was read, to tell the user once (e.g. masks read as binary). */
  notices: string[];
  /** How folder masks were read ('auto' resolved); 'index' for synthetic sets. */
  maskMode: 'index' | 'binary';
}

const KINDS = ['lesion', 'blastocyst', 'folder'] as const;
const PARTITIONS = ['iid', 'dirichlet', 'folder'] as const;

function intField(name: string, v: number, min: number, max = Infinity): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new Error(`data.${name}: must be an integer ${range}, got ${v}`);
  }
}

function validate(o: ClientDataOptions): void {
  if (!(KINDS as readonly string[]).includes(o.kind)) {
    throw new Error(`data.kind: must be 'lesion' | 'blastocyst' | 'folder', got ${JSON.stringify(o.kind)}`);
  }
  intField('size', o.size, 16, 1024);
  intField('samplesPerClient', o.samplesPerClient, 1);
  intField('testSamples', o.testSamples, 0);
  intField('clients', o.clients, 1);
  if (!(PARTITIONS as readonly string[]).includes(o.partition)) {
    throw new Error(`data.partition: must be 'iid' | 'dirichlet' | 'folder', got ${JSON.stringify(o.partition)}`);
  }
  if (o.partition === 'dirichlet' && !(Number.isFinite(o.alpha) && o.alpha > 0)) {
    throw new Error(`data.alpha: must be > 0, got ${o.alpha}`);
  }
  if (!(Number.isFinite(o.styleShift) && o.styleShift >= 0)) {
    throw new Error(`data.styleShift: must be a finite number >= 0, got ${o.styleShift}`);
  }
  if (!Number.isFinite(o.seed)) throw new Error(`data.seed: must be a finite number, got ${o.seed}`);
  if (o.kind === 'folder' && (o.path === undefined || o.path === '')) {
    throw new Error(`data.path: required when data.kind is 'folder', got ${JSON.stringify(o.path)}`);
  }
}

function restyle(sample: Sample, ds: Dataset, style: StyleShift, rng: Rng): Sample {
  if (isIdentityStyle(style)) return sample;
  return { ...sample, image: applyStyle(sample.image, ds.height, ds.width, ds.channels, style, rng) };
}

function withSamples(base: Dataset, name: string, samples: Sample[]): Dataset {
  const { height, width, channels, classes, classNames } = base;
  return { name, height, width, channels, classes, classNames, samples };
}

function synthetic(o: ClientDataOptions, kind: SyntheticKind, root: Rng, styles: StyleShift[]): ClientData {
  const info = syntheticInfo(kind);
  if (o.classes !== undefined && o.classes !== info.classes) {
    throw new Error(`data.classes: must be ${info.classes} for data.kind '${kind}' (or left out), got ${o.classes}`);
  }
  const shape: Dataset = { name: kind, height: o.size, width: o.size, ...info, samples: [] };
  let samples: Sample[];
  let clientIndices: number[][];
  if (o.partition === 'dirichlet') {
    // Label skew needs categories before assignment: draw an unstyled pool, deal it by
    // category, then give each sample its client's style.
    const pool = generateSamples(root.child('pool'), kind, o.clients * o.samplesPerClient, o.size);
    clientIndices = partition(pool, { clients: o.clients, scheme: 'dirichlet', alpha: o.alpha }, root.child('partition'));
    samples = pool;
    clientIndices.forEach((idx, k) => {
      for (const i of idx) {
        samples[i] = restyle(pool[i] as Sample, shape, styles[k] as StyleShift, root.child(`pool/sample/${i}/style`));
      }
    });
  } else {
    // IID (and 'folder', where each synthetic site is its own folder): each site draws its own samples.
    samples = [];
    clientIndices = [];
    for (let k = 0; k < o.clients; k++) {
      const own = generateSamples(root.child(`site/${k}`), kind, o.samplesPerClient, o.size, styles[k]);
      clientIndices.push(own.map((_, i) => samples.length + i));
      samples.push(...own);
    }
  }
  const testRng = root.child('test');
  const test = generateSamples(testRng, kind, o.testSamples, o.size).map((s, j) =>
    restyle(s, shape, styles[j % o.clients] as StyleShift, testRng.child(`sample/${j}/style`)),
  );
  return {
    dataset: withSamples(shape, kind, samples),
    clientIndices,
    test: withSamples(shape, `${kind}-test`, test),
    sites: styles.map((_, k) => `site-${k}`),
    styles,
    notices: [],
    maskMode: 'index',
  };
}

async function folder(o: ClientDataOptions, root: Rng, styles: StyleShift[]): Promise<ClientData> {
  const path = o.path as string;
  const all = await loadFolder(path, {
    size: o.size,
    ...(o.maskMode !== undefined ? { maskMode: o.maskMode } : {}),
    ...(o.classes !== undefined ? { classes: o.classes } : {}),
  });
  const siteNames = distinctSites(all.sites);
  if (o.partition === 'folder' && o.clients !== siteNames.length) {
    throw new Error(
      `data.clients: must equal the number of site folders under ${path} (${siteNames.length}: ${siteNames.join(', ')}) for partition 'folder', got ${o.clients}`,
    );
  }
  const n = all.samples.length;
  if (o.testSamples > n - o.clients) {
    throw new Error(`data.testSamples: must leave at least one training sample per client (${n} samples, ${o.clients} clients), got ${o.testSamples}`);
  }
  // Held-out: round-robin over sites (each shuffled), so every site is represented.
  const split = root.child('split');
  const perSite = siteNames.map((s) => split.shuffle(all.sites.flatMap((t, i) => (t === s ? [i] : []))));
  const testIdx: number[] = [];
  for (let round = 0; testIdx.length < o.testSamples; round++) {
    for (const list of perSite) if (round < list.length && testIdx.length < o.testSamples) testIdx.push(list[round] as number);
  }
  const isTest = new Set(testIdx);
  const trainIdx = all.samples.map((_, i) => i).filter((i) => !isTest.has(i));
  const train = trainIdx.map((i) => all.samples[i] as Sample);
  let clientIndices = partition(
    train,
    { clients: o.clients, scheme: o.partition, alpha: o.alpha, sites: trainIdx.map((i) => all.sites[i] as string) },
    root.child('partition'),
  );
  const cap = root.child('cap');
  clientIndices = clientIndices.map((idx) =>
    idx.length <= o.samplesPerClient ? idx : cap.shuffle([...idx]).slice(0, o.samplesPerClient).sort((a, b) => a - b),
  );
  const styled = train.slice();
  clientIndices.forEach((idx, k) => {
    for (const i of idx) styled[i] = restyle(train[i] as Sample, all, styles[k] as StyleShift, root.child(`site/${k}/restyle/${i}`));
  });
  const testRng = root.child('test');
  const test = testIdx
    .sort((a, b) => a - b)
    .map((i, j) => restyle(all.samples[i] as Sample, all, styles[j % o.clients] as StyleShift, testRng.child(`sample/${j}/style`)));
  return {
    dataset: withSamples(all, all.name, styled),
    clientIndices,
    test: withSamples(all, `${all.name}-test`, test),
    sites: o.partition === 'folder' ? siteNames : styles.map((_, k) => `site-${k}`),
    styles,
    notices: all.notices,
    maskMode: all.maskMode,
  };
}

/**
 * Builds every client's training data and the held-out test set, deterministically from
 * `opts.seed`.
 * @example const cd = await buildClientData({ kind: 'lesion', size: 64, samplesPerClient: 40,
 *   testSamples: 50, clients: 5, partition: 'dirichlet', alpha: 0.5, styleShift: 1, seed: 1 });
 */
export async function buildClientData(opts: ClientDataOptions): Promise<ClientData> {
  validate(opts);
  const root = new Rng(opts.seed, 'data');
  // Real images already differ by site; a synthetic shift on top would distort them, test set included.
  const shift = opts.kind === 'folder' ? 0 : opts.styleShift;
  const styles = Array.from({ length: opts.clients }, (_, k) =>
    shift > 0 ? siteStyle(root.child(`site/${k}/style`), shift) : identityStyle(),
  );
  return opts.kind === 'folder' ? folder(opts, root, styles) : synthetic(opts, opts.kind, root, styles);
}
