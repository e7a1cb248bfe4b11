import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScenarioError } from './errors.js';
import { applyOverride, clientLinks, loadScenario, parseOverride, validateScenario } from './load.js';

function problems(tree: unknown): string[] {
  try {
    validateScenario(tree, 'test.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return e.problems;
    throw e;
  }
  return [];
}

describe('scenario validation', () => {
  it('fills every default from an empty file', () => {
    const s = validateScenario({});
    expect(s.protocol.clients).toBe(4);
    expect(s.codec.name).toBe('none');
    expect(s.network.profile).toBe('hospital-fiber');
  });

  it('names the field and the bad value', () => {
    expect(problems({ protocol: { clients: 0 } })).toEqual(['protocol.clients: must be ≥ 1, got 0']);
    expect(problems({ codec: { name: 'zip' } })).toEqual([
      'codec.name: must be one of "none" | "fp16" | "quant" | "topk" | "factorized" | "hyperprior" | "cheng2020-attn" | "ayad", got "zip"',
    ]);
    expect(problems({ codec: { bits: 'eight' } })).toEqual(['codec.bits: must be a number, got "eight"']);
    expect(problems({ network: { uplink: { bandwidthMbps: -1 } } })).toEqual([
      'network.uplink.bandwidthMbps: must be > 0, got -1',
    ]);
    expect(problems({ network: { perClient: [{ uplink: { loss: 2 } }] } })).toEqual([
      'network.perClient[0].uplink.loss: must be ≤ 0.5, got 2',
    ]);
    expect(problems({ protocl: {} })[0]).toMatch(/^protocl: is not a known field/);
  });

  it('an unknown field suggests the nearest known path', () => {
    const hint = (tree: unknown): string => problems(tree)[0] ?? '';
    expect(hint({ rounds: 2 })).toBe(
      'rounds: is not a known field (did you mean protocol.rounds?; every field: scenarios/scenario.schema.json or `splitwire schema`)',
    );
    expect(hint({ protocl: {} })).toMatch(/^protocl: is not a known field \(did you mean protocol\?/);
    expect(hint({ codec: { bit: 8 } })).toMatch(/^codec\.bit: is not a known field \(did you mean codec\.bits\?/);
    expect(hint({ network: { uplink: { latency: 8 } } })).toMatch(/\(did you mean network\.uplink\.latencyMs\?/);
    expect(hint({ network: { perClient: [{ uplink: { jiter: 1 } }] } })).toMatch(
      /^network\.perClient\[0\]\.uplink\.jiter: is not a known field \(did you mean network\.perClient\[i\]\.uplink\.jitterMs\?/,
    );
    // A field written at the wrong level: the one where it lives.
    expect(hint({ data: { clients: 3 } })).toMatch(/\(did you mean protocol\.clients\?/);
    expect(hint({ zzzzqqq: 1 })).toMatch(/^zzzzqqq: is not a known field \(check the spelling;/);
  });

  it('checks fields against each other', () => {
    expect(problems({ data: { size: 60 }, model: { depth: 4 } })).toEqual([
      'data.size: must be divisible by 2^(model.depth-1) = 8, got 60',
    ]);
    expect(problems({ protocol: { clients: 2, clientsPerRound: 3 } })).toEqual([
      'protocol.clientsPerRound: must be ≤ protocol.clients (2), got 3',
    ]);
    expect(problems({ devices: { client: 'toaster' } })[0]).toMatch(/^devices\.client: must be one of .* got "toaster"$/);
    expect(problems({ data: { kind: 'folder' } })).toEqual(['data.path: must be set when data.kind is "folder", got nothing']);
    expect(problems({ data: { size: 16 }, codec: { name: 'hyperprior' } })[0]).toMatch(
      /^codec\.stages: hyperprior with 2 stages \(\+2 hyper stages\) needs split tensors of a multiple of 16 px, got 8 px/,
    );
  });
});

describe('overrides', () => {
  it('parses values as YAML scalars and sets nested fields', () => {
    const tree: Record<string, unknown> = { codec: { name: 'none' } };
    applyOverride(tree, parseOverride('codec.bits=8'));
    applyOverride(tree, parseOverride('codec.name=quant'));
    applyOverride(tree, parseOverride('network.perClient[1].uplink.bandwidthMbps=2.5'));
    expect(tree).toEqual({
      codec: { name: 'quant', bits: 8 },
      network: { perClient: [{}, { uplink: { bandwidthMbps: 2.5 } }] },
    });
  });

  it('rejects an override without =', () => {
    expect(() => parseOverride('codec.bits')).toThrow(/--set: must be path.to.field=value, got "codec.bits"/);
  });
});

describe('loadScenario', () => {
  const dir = mkdtempSync(join(tmpdir(), 'splitwire-scenario-'));

  it('reads a file, names it after the file, applies overrides', async () => {
    const file = join(dir, 'tiny.yaml');
    writeFileSync(file, 'protocol:\n  clients: 3\n');
    const s = await loadScenario(file, [parseOverride('network.profile=satellite'), parseOverride('network.perClient[2].uplink.bandwidthMbps=1')]);
    expect(s.name).toBe('tiny');
    expect(clientLinks(s, 0).uplink).toEqual({ bandwidthMbps: 3, latencyMs: 300, jitterMs: 20, loss: 0.01 });
    expect(clientLinks(s, 2).uplink.bandwidthMbps).toBe(1);
  });

  it('reports YAML syntax errors with the line', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'protocol:\n  clients: [1, 2\n');
    await expect(loadScenario(file)).rejects.toThrow(/bad\.yaml: invalid scenario\n {2}line \d+: not valid YAML/);
  });

  it("resolves relative paths in the file from the file's folder, and --set paths from the current directory", async () => {
    const sub = join(dir, 'site');
    mkdirSync(sub, { recursive: true });
    const file = join(sub, 'paths.yaml');
    writeFileSync(
      file,
      [
        'data: { kind: folder, path: images }',
        'network:',
        '  uplink: { bandwidthTrace: { file: traces/up.mahi, format: mahimahi }, latencyTrace: ../rtt.txt }',
        '  perClient: [{ downlink: { bandwidthTrace: { file: /abs/down.txt, format: mbps } } }]',
        '  server: { uplinkMbps: 10, downlinkMbps: 10, uplinkTrace: { file: s.mahi, format: mahimahi } }',
        '  availability: { schedule: on-off.txt }',
        '',
      ].join('\n'),
    );
    const s = await loadScenario(file, [parseOverride('network.downlink.latencyTrace=here/rtt.txt')]);
    expect(s.data.path).toBe(join(sub, 'images'));
    expect(s.network.uplink?.bandwidthTrace?.file).toBe(join(sub, 'traces', 'up.mahi'));
    expect(s.network.uplink?.latencyTrace).toBe(join(dir, 'rtt.txt'));
    expect(s.network.perClient?.[0]?.downlink?.bandwidthTrace?.file).toBe('/abs/down.txt');
    expect(s.network.server?.uplinkTrace?.file).toBe(join(sub, 's.mahi'));
    expect(s.network.availability?.schedule).toBe(join(sub, 'on-off.txt'));
    expect(s.network.downlink?.latencyTrace).toBe(resolve('here/rtt.txt'));
  });

  it('every shipped scenario validates', async () => {
    for (const name of ['quickstart', 'hospital-fiber', 'rural-4g', 'satellite', 'paper-splitfedzip']) {
      const s = await loadScenario(join('scenarios', `${name}.yaml`));
      expect(s.name).toBe(name);
    }
  });
});
