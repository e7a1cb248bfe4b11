/**
 * Real data from folders of images and masks.
 *
 * Layout (either):
 *
 *   root/images/NAME.png|jpg|jpeg       root/masks/NAME.png            (one pool, site '.')
 *
 *   root/<site>/images/NAME.png|jpg     root/<site>/masks/NAME.png     (one folder per site,
 *                                                                        e.g. per hospital)
 *
 * A mask pixel is the class id (greyscale PNG of any bit depth, value = id; or a palette PNG,
 * palette index = id), or with maskMode 'binary' a 0/255 image mapped to 0/1 (≥ half of the
 * bit depth's range counts as foreground; for palette PNGs any non-zero index). With maskMode
 * 'auto' a set whose masks hold exactly two distinct values, the larger of them not a valid
 * class id (≥ classes, or ≥ 2 when classes is not given: 0/255), is read as binary (lower value
 * → 0, higher → 1) and the dataset's `notices` say so; otherwise as 'index'. A mask holding more
 * distinct values than `classes` is an error naming the file and the values. Files in
 * images/ with other extensions are ignored; sub-folders of root without images/ are ignored
 * in the per-site layout. Images and masks are resized to size×size (bilinear, nearest).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { decodeImage, decodeMask, reason } from './decodeImages.js';
import { DataError } from './errors.js';
import { resizeBilinear, resizeNearest } from './resize.js';
import type { Dataset, Sample } from './types.js';

/** Options of loadFolder. */
export interface FolderOptions {
  /** Output side in pixels: every image and mask is resized to size×size. */
  size: number;
  /** Number of classes; a mask id ≥ classes is an error. Default: largest id + 1 (2 for 'binary'). */
  classes?: number;
  /**
   * 'index' (default): pixel value = class id. 'binary': 0/255 → 0/1. 'auto': binary when the
   * set holds exactly two values that are not both class ids (see the file header), else index.
   */
  maskMode?: 'auto' | 'index' | 'binary';
  /** 1 or 3. Default: 1 when every pixel of every image has R = G = B, else 3. */
  channels?: 1 | 3;
}

/** A folder dataset: a Dataset plus where each sample came from. */
export interface FolderDataset extends Dataset {
  /** The site of each sample: the sub-folder name, or '.' for the one-pool layout. */
  sites: string[];
  /** Each sample's image path relative to root, e.g. `hospital-a/images/0001.png`. */
  files: string[];
  /** How the masks were read ('auto' resolved). */
  maskMode: 'index' | 'binary';
  /** Things the user should know about how the data was read (e.g. 'auto' chose binary); say each once. */
  notices: string[];
}

/** The site name of the one-pool layout (root/images, root/masks). */
export const POOL_SITE = '.';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

interface Entry {
  site: string;
  rel: string; // image path relative to root
  image: string;
  mask: string;
}

/** Lists (image, mask) pairs of one site folder, sorted by file name. */
async function listSite(root: string, siteDir: string, site: string): Promise<Entry[]> {
  const imagesDir = join(root, siteDir, 'images');
  const names = (await readdir(imagesDir)).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort();
  if (names.length === 0) throw new DataError(`loadFolder: no .png/.jpg/.jpeg images in ${imagesDir}`);
  const seen = new Map<string, string>();
  const entries: Entry[] = [];
  for (const f of names) {
    const stem = basename(f, extname(f));
    const other = seen.get(stem);
    if (other !== undefined) {
      throw new DataError(`loadFolder: ${join(imagesDir, other)} and ${join(imagesDir, f)} share the name '${stem}'; one mask cannot serve both`);
    }
    seen.set(stem, f);
    const mask = join(root, siteDir, 'masks', `${stem}.png`);
    try {
      await stat(mask);
    } catch {
      throw new DataError(`loadFolder: missing mask for ${join(imagesDir, f)} (expected ${mask})`);
    }
    entries.push({ site, rel: join(siteDir, 'images', f), image: join(imagesDir, f), mask });
  }
  return entries;
}

/** Sorted distinct values of one mask's raw ids. */
function distinctValues(ids: Uint16Array): number[] {
  const seen = new Uint8Array(65536);
  const out: number[] = [];
  for (const v of ids) {
    if (seen[v] === 0) {
      seen[v] = 1;
      out.push(v);
    }
  }
  return out.sort((a, b) => a - b);
}

/** A list of values for a message: all of them, or the first 16 and a count. */
function listValues(values: readonly number[]): string {
  return values.length <= 16 ? values.join(', ') : `${values.slice(0, 16).join(', ')}, … (${values.length} in all)`;
}

/**
 * Reads every mask's raw values once and decides how they become class ids: 'binary' and
 * 'index' as given, 'auto' resolved (with a notice when it chose binary). A mask holding more
 * distinct values than `classes` is an error naming the file and its values.
 */
async function resolveMasks(
  entries: readonly Entry[],
  mode: 'auto' | 'index' | 'binary',
  classes: number | undefined,
): Promise<{ mode: 'index' | 'binary'; pair?: [number, number]; notices: string[] }> {
  if (mode === 'binary') return { mode, notices: [] };
  const union = new Set<number>();
  for (const e of entries) {
    const values = distinctValues(decodeMask(await readFile(e.mask), e.mask, 'index').ids);
    if (classes !== undefined && values.length > classes) {
      throw new DataError(
        `loadFolder: mask ${e.mask} holds ${values.length} distinct values (${listValues(values)}), more than classes = ${classes}` +
          (values.length === 2 ? `; set maskMode 'binary' to read it as background/foreground` : ''),
      );
    }
    for (const v of values) union.add(v);
  }
  const all = [...union].sort((a, b) => a - b);
  if (mode === 'auto' && all.length === 2 && (all[1] as number) >= (classes ?? 2)) {
    const pair: [number, number] = [all[0] as number, all[1] as number];
    return {
      mode: 'binary',
      pair,
      notices: [
        `data.maskMode auto: every mask holds only the values ${pair[0]} and ${pair[1]}; read as 2 classes ` +
          `(${pair[0]} → 0 background, ${pair[1]} → 1 foreground). Set data.maskMode: index to read values as class ids.`,
      ],
    };
  }
  if (mode === 'auto' && classes === undefined && all.length > 2 && all[all.length - 1] !== all.length - 1) {
    throw new DataError(
      `loadFolder: the masks hold the values ${listValues(all)}, which are not the class ids 0..${all.length - 1}; ` +
        `set classes (data.classes) and maskMode 'index' to read them as ids, or re-encode the masks`,
    );
  }
  return { mode: 'index', notices: [] };
}

/** Category proxy for real data: foreground fraction bucket (<5 %, <15 %, <30 %, ≥30 %). */
function foregroundBucket(mask: Uint8Array): number {
  let fg = 0;
  for (const v of mask) if (v !== 0) fg++;
  const f = fg / mask.length;
  return f < 0.05 ? 0 : f < 0.15 ? 1 : f < 0.3 ? 2 : 3;
}

/**
 * Loads a folder of images and masks (layout in this file's header and src/data/README.md).
 * Errors name the file: a missing mask, an unreadable file, an image/mask size mismatch,
 * a class id ≥ classes. Samples are in site order, then file-name order.
 * @example const ds = await loadFolder('data/ham', { size: 64, maskMode: 'binary' });
 */
export async function loadFolder(root: string, opts: FolderOptions): Promise<FolderDataset> {
  const { size } = opts;
  const requested = opts.maskMode ?? 'index';
  if (!Number.isInteger(size) || size < 1 || size > 4096) {
    throw new DataError(`loadFolder.size: must be an integer in [1, 4096], got ${size}`);
  }
  if (requested !== 'auto' && requested !== 'index' && requested !== 'binary') {
    throw new DataError(`loadFolder.maskMode: must be 'auto' | 'index' | 'binary', got ${JSON.stringify(requested)}`);
  }
  if (opts.classes !== undefined && (!Number.isInteger(opts.classes) || opts.classes < 2 || opts.classes > 256)) {
    throw new DataError(`loadFolder.classes: must be an integer in [2, 256], got ${opts.classes}`);
  }
  if (opts.channels !== undefined && opts.channels !== 1 && opts.channels !== 3) {
    throw new DataError(`loadFolder.channels: must be 1 or 3, got ${opts.channels}`);
  }
  if (!(await isDir(root))) throw new DataError(`loadFolder: ${root} is not a folder`);

  let entries: Entry[];
  if (await isDir(join(root, 'images'))) {
    entries = await listSite(root, '', POOL_SITE);
  } else {
    const subdirs = (await readdir(root)).filter((d) => !d.startsWith('.')).sort();
    entries = [];
    for (const d of subdirs) {
      if (await isDir(join(root, d, 'images'))) entries.push(...(await listSite(root, d, d)));
    }
    if (entries.length === 0) {
      throw new DataError(`loadFolder: ${root} has neither images/ nor <site>/images/ folders`);
    }
  }

  const resolved = await resolveMasks(entries, requested, opts.classes);
  const mode = resolved.mode;
  const classLimit = opts.classes ?? (mode === 'binary' ? 2 : 256);
  const rgbImages: Float32Array[] = [];
  const masks: Uint8Array[] = [];
  let allGrey = true;
  let maxId = 0;
  for (const e of entries) {
    const img = decodeImage(await readFile(e.image), e.image);
    const m = decodeMask(await readFile(e.mask), e.mask, mode, resolved.pair);
    if (m.width !== img.width || m.height !== img.height) {
      throw new DataError(`loadFolder: mask ${e.mask} is ${m.width}x${m.height} but its image ${e.image} is ${img.width}x${img.height}`);
    }
    for (let i = 0; i < m.ids.length; i++) {
      const id = m.ids[i] as number;
      if (id >= classLimit) {
        const what = opts.classes !== undefined ? `classes is ${opts.classes}` : 'class ids must be < 256';
        throw new DataError(`loadFolder: mask ${e.mask} has class id ${id} at pixel (${i % m.width}, ${Math.floor(i / m.width)}), but ${what}`);
      }
      if (id > maxId) maxId = id;
    }
    const rgb = new Float32Array(img.width * img.height * 3);
    for (let i = 0, p = 0; i < rgb.length; i += 3, p += 4) {
      const r = img.rgba[p] as number;
      const g = img.rgba[p + 1] as number;
      const b = img.rgba[p + 2] as number;
      if (r !== g || g !== b) allGrey = false;
      rgb[i] = r / 255;
      rgb[i + 1] = g / 255;
      rgb[i + 2] = b / 255;
    }
    rgbImages.push(resizeBilinear(rgb, img.height, img.width, 3, size, size));
    masks.push(resizeNearest(m.ids, m.height, m.width, size, size));
  }

  const channels = opts.channels ?? (allGrey ? 1 : 3);
  const classes = opts.classes ?? (mode === 'binary' ? 2 : Math.max(2, maxId + 1));
  const samples: Sample[] = rgbImages.map((rgb, n) => {
    const mask = masks[n] as Uint8Array;
    let image = rgb;
    if (channels === 1) {
      image = new Float32Array(size * size);
      // Rec. 601 luma; for grey images R = G = B so this is exact.
      for (let i = 0; i < image.length; i++) {
        image[i] = 0.299 * (rgb[3 * i] as number) + 0.587 * (rgb[3 * i + 1] as number) + 0.114 * (rgb[3 * i + 2] as number);
      }
    }
    return { image, mask, category: foregroundBucket(mask) };
  });
  const classNames = mode === 'binary' ? ['background', 'foreground'] : Array.from({ length: classes }, (_, k) => (k === 0 ? 'background' : `class ${k}`));
  return {
    name: basename(root) || root,
    height: size,
    width: size,
    channels,
    classes,
    classNames,
    samples,
    sites: entries.map((e) => e.site),
    files: entries.map((e) => e.rel),
    maskMode: mode,
    notices: resolved.notices,
  };
}

/** What checkFolder found: the (image, mask) pairs that read, and one line per bad file. */
export interface FolderCheck {
  /** Pairs whose image and mask both decode and agree in size. */
  pairs: number;
  /** One line per problem, each naming the file: `path: why`. */
  problems: string[];
}

/**
 * Checks a data folder before a run, without stopping at the first problem: the layout, every
 * image without a mask, every image or mask that does not decode (corrupt or truncated), every
 * mask whose size differs from its image's. Decodes each file once and keeps nothing.
 * @example const { problems } = await checkFolder('data/ham', { maskMode: 'binary' });
 */
export async function checkFolder(root: string, opts: Pick<FolderOptions, 'maskMode'> = {}): Promise<FolderCheck> {
  // 'auto' decides between index and binary from the whole set later; raw values decode as index.
  const mode = opts.maskMode === 'binary' ? 'binary' : 'index';
  if (!(await isDir(root))) return { pairs: 0, problems: [`${root}: not a folder (or it does not exist)`] };
  const sites: Array<[string, string]> = [];
  if (await isDir(join(root, 'images'))) sites.push(['', POOL_SITE]);
  else for (const d of (await readdir(root)).filter((x) => !x.startsWith('.')).sort()) if (await isDir(join(root, d, 'images'))) sites.push([d, d]);
  if (sites.length === 0) return { pairs: 0, problems: [`${root}: has neither images/ nor <site>/images/ folders`] };
  const problems: string[] = [];
  let pairs = 0;
  for (const [siteDir] of sites) {
    const imagesDir = join(root, siteDir, 'images');
    const names = (await readdir(imagesDir)).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort();
    if (names.length === 0) problems.push(`${imagesDir}: no .png/.jpg/.jpeg images`);
    const seen = new Set<string>();
    for (const f of names) {
      const image = join(imagesDir, f);
      const stem = basename(f, extname(f));
      if (seen.has(stem)) {
        problems.push(`${image}: shares the name '${stem}' with another image; one mask cannot serve both`);
        continue;
      }
      seen.add(stem);
      const mask = join(root, siteDir, 'masks', `${stem}.png`);
      let img: { width: number; height: number } | null = null;
      try {
        img = decodeImage(await readFile(image), image);
      } catch (e) {
        problems.push(`${image}: not a readable image: ${reason((e as Error).cause ?? e)}`);
      }
      let maskBuf: Buffer;
      try {
        maskBuf = await readFile(mask);
      } catch {
        problems.push(`${image}: image without a mask (expected ${mask})`);
        continue;
      }
      try {
        const m = decodeMask(maskBuf, mask, mode);
        if (img !== null && (m.width !== img.width || m.height !== img.height)) {
          problems.push(`${mask}: mask is ${m.width}x${m.height} but its image ${image} is ${img.width}x${img.height}`);
        } else if (img !== null) pairs++;
      } catch (e) {
        const cause = (e as Error).cause;
        problems.push(cause !== undefined ? `${mask}: not a readable mask: ${reason(cause)}` : (e as Error).message.replace(/^loadFolder: /, ''));
      }
    }
  }
  return { pairs, problems };
}
