/**
 * Golden bitstreams (as CompressAI keeps in tests/expected/): SHA-256 of the exact bytes each
 * codec and the rANS coder produce for fixed inputs. A change here is a wire-format change:
 * bump CONTAINER_VERSION or justify it, then regenerate with SPLITWIRE_UPDATE_GOLDEN=1.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeContainer } from './container.js';
import { laplacePmf, laplaceSymbols } from './entropy/bench.js';
import { buildCdf, ransEncode } from './entropy/rans.js';
import { createCodec } from './registry.js';
import type { CodecOptions } from './types.js';

const FILE = new URL('./expected/golden.json', import.meta.url);

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function streams(): Record<string, { bytes: number; sha256: string }> {
  const tensor = { data: new Float32Array(120).map((_, i) => Math.sin(i * 0.37) * (1 + (i % 7))), shape: [2, 3, 4, 5] };
  const out: Record<string, Uint8Array> = {
    container: writeContainer({ codec: 'quant', shape: [2, 3], payload: Uint8Array.from({ length: 37 }, (_, i) => (i * 29) & 0xff) }),
  };
  const codecs: Array<[string, CodecOptions]> = [
    ['none', { name: 'none' }],
    ['fp16', { name: 'fp16' }],
    ['quant8', { name: 'quant', bits: 8 }],
    ['quant3', { name: 'quant', bits: 3 }],
    ['topk10pct', { name: 'topk', fraction: 0.1 }],
  ];
  for (const [key, opts] of codecs) out[key] = createCodec(opts).encode(tensor);
  const table = buildCdf(laplacePmf(2, 8), -8); // narrow on purpose: some values escape
  out.rans = ransEncode(laplaceSymbols(2000, 2, 7), null, [table]);
  out.ransTable = new Uint8Array(table.cdf.buffer);
  return Object.fromEntries(Object.entries(out).map(([k, b]) => [k, { bytes: b.length, sha256: sha256(b) }]));
}

describe('golden bitstreams', () => {
  it('match the checksums in expected/golden.json', () => {
    const actual = streams();
    if (process.env.SPLITWIRE_UPDATE_GOLDEN === '1') writeFileSync(FILE, `${JSON.stringify(actual, null, 2)}\n`);
    const expected = JSON.parse(readFileSync(FILE, 'utf8')) as unknown;
    expect(actual).toEqual(expected);
  });
});
