/** Decoding the images and masks of a data folder (folder.ts): PNG or JPEG images, PNG masks. */
import { extname } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataError } from './errors.js';

/** The message of a decoding failure, with pngjs's words for a file that ends early made plain. */
export function reason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // pngjs's words for a file that ends early.
  if (/read requests waitng on finished stream|unexpected end/i.test(m)) return `truncated or corrupt file (${m})`;
  return m;
}

/** Decodes a PNG or JPEG into 8-bit RGBA. */
export function decodeImage(buf: Buffer, path: string): { width: number; height: number; rgba: Uint8Array } {
  const ext = extname(path).toLowerCase();
  try {
    if (ext === '.png') {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, rgba: png.data };
    }
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true });
    return { width: img.width, height: img.height, rgba: img.data };
  } catch (e) {
    throw new DataError(`loadFolder: cannot read image ${path}: ${reason(e)}`, { cause: e });
  }
}

/** Decodes a mask PNG into raw per-pixel values (class ids before any binary mapping). */
export function decodeMask(
  buf: Buffer,
  path: string,
  mode: 'index' | 'binary',
  pair?: readonly [number, number],
): { width: number; height: number; ids: Uint16Array } {
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    // skipRescale keeps 1/2/4/16-bit grey values as they are: they are class ids, not intensities.
    png = PNG.sync.read(buf, { skipRescale: true });
  } catch (e) {
    throw new DataError(`loadFolder: cannot read mask ${path}: ${reason(e)}`, { cause: e });
  }
  const { width, height, colorType, depth } = png;
  const data = png.data as ArrayLike<number>;
  const ids = new Uint16Array(width * height);
  const paletted = colorType === (3 as number);
  if (paletted) {
    // pngjs expands palette entries to RGBA; map each colour back to its (first) index.
    const palette = (png as unknown as { palette: number[][] }).palette;
    const index = new Map<number, number>();
    palette.forEach((c, i) => {
      const key = (((c[0] as number) << 24) | ((c[1] as number) << 16) | ((c[2] as number) << 8) | (c[3] as number)) >>> 0;
      if (!index.has(key)) index.set(key, i);
    });
    for (let i = 0; i < ids.length; i++) {
      const p = i * 4;
      const key = (((data[p] as number) << 24) | ((data[p + 1] as number) << 16) | ((data[p + 2] as number) << 8) | (data[p + 3] as number)) >>> 0;
      ids[i] = index.get(key) ?? 0;
    }
  } else {
    for (let i = 0; i < ids.length; i++) {
      const p = i * 4;
      const r = data[p] as number;
      if (colorType === 2 || colorType === 6) {
        if (data[p + 1] !== r || data[p + 2] !== r) {
          throw new DataError(
            `loadFolder: mask ${path} is a colour image (R, G, B differ at pixel (${i % width}, ${Math.floor(i / width)})); ` +
              `masks must be greyscale or palette PNGs whose value is the class id`,
          );
        }
      }
      ids[i] = r;
    }
  }
  if (pair !== undefined) {
    // 'auto' found exactly two values in the whole set: lower → 0, higher → 1.
    for (let i = 0; i < ids.length; i++) ids[i] = ids[i] === pair[1] ? 1 : 0;
  } else if (mode === 'binary') {
    const maxValue = paletted ? 1 : 2 ** depth - 1;
    for (let i = 0; i < ids.length; i++) ids[i] = paletted ? Number(ids[i] !== 0) : Number(2 * (ids[i] as number) > maxValue);
  }
  return { width, height, ids };
}
