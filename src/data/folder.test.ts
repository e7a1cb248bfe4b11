import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFolder } from './folder.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function tempRoot(): string {
  const r = mkdtempSync(join(tmpdir(), 'splitwire-data-'));
  roots.push(r);
  return r;
}

/** An 8-bit RGBA PNG whose pixel (x, y) is f(x, y) = [r, g, b]. */
function rgbPng(w: number, h: number, f: (x: number, y: number) => [number, number, number]): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      png.data.set([r, g, b, 255], (y * w + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

/** An 8-bit greyscale PNG (colour type 0) whose pixel is f(x, y). */
function greyPng(w: number, h: number, f: (x: number, y: number) => number): Buffer {
  const png = new PNG({ width: w, height: h, colorType: 0, inputColorType: 0, inputHasAlpha: false } as never);
  png.data = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) png.data[y * w + x] = f(x, y);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/** A palette PNG (colour type 3, 8-bit indices), assembled by hand: pngjs cannot write one. */
function palettePng(w: number, h: number, palette: [number, number, number][], f: (x: number, y: number) => number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 3, 0, 0, 0], 8);
  const raw = Buffer.alloc(h * (w + 1));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = f(x, y);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('PLTE', Buffer.from(palette.flat())),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function write(root: string, rel: string, data: Buffer): void {
  const path = join(root, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, data);
}

describe('loadFolder', () => {
  it('round-trips a flat folder at native size', async () => {
    const root = tempRoot();
    const colour = (i: number) => (x: number, y: number): [number, number, number] => [x * 30 + i, y * 20, 200 - x * 10];
    for (let i = 0; i < 3; i++) {
      write(root, `images/img${i}.png`, rgbPng(4, 4, colour(i)));
      write(root, `masks/img${i}.png`, greyPng(4, 4, (x, y) => (x + y + i) % 3));
    }
    writeFileSync(join(root, 'images', 'notes.txt'), 'ignored');
    const ds = await loadFolder(root, { size: 4 });
    expect(ds.samples).toHaveLength(3);
    expect(ds.channels).toBe(3);
    expect(ds.classes).toBe(3);
    expect(ds.sites).toEqual(['.', '.', '.']);
    expect(ds.files).toEqual([join('images', 'img0.png'), join('images', 'img1.png'), join('images', 'img2.png')]);
    const s = ds.samples[1]!;
    const k = 2 * 4 + 3; // pixel (x 3, y 2)
    expect(s.image[3 * k]).toBeCloseTo((3 * 30 + 1) / 255, 6);
    expect(s.image[3 * k + 1]).toBeCloseTo(40 / 255, 6);
    expect(s.image[3 * k + 2]).toBeCloseTo(170 / 255, 6);
    expect(s.mask[k]).toBe((3 + 2 + 1) % 3);
  });

  it('reads per-site folders, JPEG images, grey detection and resizing', async () => {
    const root = tempRoot();
    const grey = (x: number, y: number): [number, number, number] => [x * 8, x * 8, x * 8];
    const jpg = Buffer.from(
      jpeg.encode({ width: 16, height: 16, data: Buffer.from(PNG.sync.read(rgbPng(16, 16, grey)).data) }, 95).data,
    );
    write(root, 'hospital-b/images/a.jpg', jpg);
    write(root, 'hospital-b/masks/a.png', greyPng(16, 16, (x) => (x < 8 ? 0 : 255)));
    write(root, 'hospital-a/images/b.png', rgbPng(16, 16, grey));
    write(root, 'hospital-a/images/c.png', rgbPng(16, 16, grey));
    write(root, 'hospital-a/masks/b.png', greyPng(16, 16, (x) => (x < 8 ? 0 : 255)));
    write(root, 'hospital-a/masks/c.png', greyPng(16, 16, () => 0));
    mkdirSync(join(root, 'unrelated'));
    const ds = await loadFolder(root, { size: 8, maskMode: 'binary' });
    expect(ds.sites).toEqual(['hospital-a', 'hospital-a', 'hospital-b']);
    expect(ds.classes).toBe(2);
    expect(ds.classNames).toEqual(['background', 'foreground']);
    expect(ds.samples[0]!.image).toHaveLength(64);
    const row = Array.from(ds.samples[0]!.mask.subarray(0, 8));
    expect(row).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    // Bilinear at half-pixel centres: output x samples input x = 2x + 0.5, value 8·(2x + 0.5).
    expect(ds.samples[0]!.image[3]).toBeCloseTo((8 * 6.5) / 255, 5);
    // JPEG is lossy: close, not exact.
    expect(Math.abs(ds.samples[2]!.image[3]! - (8 * 6.5) / 255)).toBeLessThan(0.03);
    expect(ds.samples[2]!.category).toBe(3);
    expect(ds.samples[1]!.category).toBe(0);
  });

  it('reads class ids from palette masks', async () => {
    const root = tempRoot();
    write(root, 'images/p.png', rgbPng(3, 1, () => [10, 20, 30]));
    write(root, 'masks/p.png', palettePng(3, 1, [[0, 0, 0], [255, 0, 0], [0, 255, 0]], (x) => x));
    const ds = await loadFolder(root, { size: 3, classes: 3 });
    expect(Array.from(ds.samples[0]!.mask.subarray(0, 3))).toEqual([0, 1, 2]);
  });

  it('names the file and the problem', async () => {
    const missing = tempRoot();
    write(missing, 'images/a.png', rgbPng(2, 2, () => [0, 0, 0]));
    mkdirSync(join(missing, 'masks'));
    await expect(loadFolder(missing, { size: 2 })).rejects.toThrow(
      `loadFolder: missing mask for ${join(missing, 'images', 'a.png')} (expected ${join(missing, 'masks', 'a.png')})`,
    );

    const badId = tempRoot();
    write(badId, 'images/a.png', rgbPng(2, 2, () => [0, 0, 0]));
    write(badId, 'masks/a.png', greyPng(2, 2, (x, y) => (x === 1 && y === 1 ? 7 : 0)));
    await expect(loadFolder(badId, { size: 2, classes: 5 })).rejects.toThrow(
      `loadFolder: mask ${join(badId, 'masks', 'a.png')} has class id 7 at pixel (1, 1), but classes is 5`,
    );

    const garbage = tempRoot();
    write(garbage, 'images/a.png', Buffer.from('not a png'));
    write(garbage, 'masks/a.png', greyPng(2, 2, () => 0));
    await expect(loadFolder(garbage, { size: 2 })).rejects.toThrow(`loadFolder: cannot read image ${join(garbage, 'images', 'a.png')}:`);

    const size = tempRoot();
    write(size, 'images/a.png', rgbPng(4, 4, () => [0, 0, 0]));
    write(size, 'masks/a.png', greyPng(2, 2, () => 0));
    await expect(loadFolder(size, { size: 2 })).rejects.toThrow(
      `loadFolder: mask ${join(size, 'masks', 'a.png')} is 2x2 but its image ${join(size, 'images', 'a.png')} is 4x4`,
    );

    const colourMask = tempRoot();
    write(colourMask, 'images/a.png', rgbPng(2, 2, () => [0, 0, 0]));
    write(colourMask, 'masks/a.png', rgbPng(2, 2, (x) => [x * 255, 0, 0]));
    await expect(loadFolder(colourMask, { size: 2 })).rejects.toThrow(/is a colour image \(R, G, B differ at pixel \(1, 0\)\)/);

    const empty = tempRoot();
    await expect(loadFolder(empty, { size: 2 })).rejects.toThrow(`loadFolder: ${empty} has neither images/ nor <site>/images/ folders`);
    await expect(loadFolder(join(empty, 'nope'), { size: 2 })).rejects.toThrow('is not a folder');
    await expect(loadFolder(empty, { size: 0 })).rejects.toThrow('loadFolder.size: must be an integer in [1, 4096], got 0');
  });

  it("maskMode 'auto' reads a set of 0/255 masks as binary and says so once; ids stay ids", async () => {
    const root = tempRoot();
    for (let i = 0; i < 3; i++) {
      write(root, `images/m${i}.png`, rgbPng(4, 4, () => [9, 9, 9]));
      write(root, `masks/m${i}.png`, greyPng(4, 4, (x) => (x + i < 3 ? 0 : 255)));
    }
    const ds = await loadFolder(root, { size: 4, maskMode: 'auto' });
    expect(ds.classes).toBe(2);
    expect(ds.maskMode).toBe('binary');
    expect(ds.classNames).toEqual(['background', 'foreground']);
    expect(Array.from(ds.samples[1]!.mask.subarray(0, 4))).toEqual([0, 0, 1, 1]);
    expect(ds.notices).toEqual([expect.stringContaining('only the values 0 and 255; read as 2 classes')]);
    // the same set read as ids is the silent 256-class reading the default 'index' keeps
    expect((await loadFolder(root, { size: 4 })).classes).toBe(256);

    // two values that are class ids (0/1), or more than two contiguous ids: index, no notice
    const ids = tempRoot();
    write(ids, 'images/a.png', rgbPng(3, 1, () => [9, 9, 9]));
    write(ids, 'masks/a.png', greyPng(3, 1, (x) => x));
    const three = await loadFolder(ids, { size: 3, maskMode: 'auto' });
    expect([three.maskMode, three.classes, three.notices]).toEqual(['index', 3, []]);
    // with classes given, a two-valued set whose values are ids stays index (1 and 2 of 3 classes)
    const pair = tempRoot();
    write(pair, 'images/a.png', rgbPng(2, 1, () => [9, 9, 9]));
    write(pair, 'masks/a.png', greyPng(2, 1, (x) => x + 1));
    const kept = await loadFolder(pair, { size: 2, maskMode: 'auto', classes: 3 });
    expect([kept.maskMode, Array.from(kept.samples[0]!.mask.subarray(0, 2))]).toEqual(['index', [1, 2]]);
  });

  it('a mask with more distinct values than classes, or values that are not ids, is an error naming them', async () => {
    const root = tempRoot();
    write(root, 'images/a.png', rgbPng(3, 1, () => [9, 9, 9]));
    write(root, 'images/b.png', rgbPng(3, 1, () => [9, 9, 9]));
    write(root, 'masks/a.png', greyPng(3, 1, () => 0));
    write(root, 'masks/b.png', greyPng(3, 1, (x) => [0, 128, 255][x]!));
    for (const maskMode of ['auto', 'index'] as const) {
      await expect(loadFolder(root, { size: 3, maskMode, classes: 2 })).rejects.toThrow(
        `loadFolder: mask ${join(root, 'masks', 'b.png')} holds 3 distinct values (0, 128, 255), more than classes = 2`,
      );
    }
    await expect(loadFolder(root, { size: 3, maskMode: 'auto' })).rejects.toThrow(
      "loadFolder: the masks hold the values 0, 128, 255, which are not the class ids 0..2; set classes (data.classes) and maskMode 'index'",
    );
    expect((await loadFolder(root, { size: 3, maskMode: 'binary' })).samples[1]!.mask.subarray(0, 3)).toEqual(Uint8Array.of(0, 1, 1));
  });
});

describe('checkFolder', () => {
  it('lists every bad file — corrupt, truncated, image without mask, size mismatch — and counts the good pairs', async () => {
    const { checkFolder } = await import('./folder.js');
    const root = tempRoot();
    mkdirSync(join(root, 'images'));
    mkdirSync(join(root, 'masks'));
    const img = rgbPng(8, 8, () => [10, 20, 30]);
    const mask = greyPng(8, 8, () => 0);
    for (const n of ['a', 'b', 'c', 'd', 'e']) {
      writeFileSync(join(root, 'images', `${n}.png`), img);
      writeFileSync(join(root, 'masks', `${n}.png`), mask);
    }
    writeFileSync(join(root, 'images', 'b.png'), Buffer.from('not a png'));
    writeFileSync(join(root, 'images', 'c.png'), img.subarray(0, img.length - 20));
    rmSync(join(root, 'masks', 'd.png'));
    writeFileSync(join(root, 'masks', 'e.png'), greyPng(4, 4, () => 0));
    const r = await checkFolder(root);
    expect(r.pairs).toBe(1);
    expect(r.problems).toHaveLength(4);
    expect(r.problems[0]).toMatch(/images\/b\.png: not a readable image: /);
    expect(r.problems[1]).toMatch(/images\/c\.png: not a readable image: truncated or corrupt file/);
    expect(r.problems[2]).toMatch(/images\/d\.png: image without a mask \(expected .*masks\/d\.png\)/);
    expect(r.problems[3]).toMatch(/masks\/e\.png: mask is 4x4 but its image .*images\/e\.png is 8x8/);
    expect((await checkFolder(join(root, 'nope'))).problems[0]).toMatch(/not a folder/);
  });
});
