/**
 * Model-based protocol runs (fast-check `fc.commands` + `fc.modelRun`): faults are commands
 * injected into a running world at arbitrary points — advance time, crash a client (to rejoin
 * later or never), bring it back, restart the split server (even mid-round) — and a small model
 * predicts who is up and which rounds must be over. After every command the safety properties
 * hold on the trace so far; at the end the run finishes and every property holds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { noFaults } from './faults.js';
import { PROPERTIES, gradientAfterFeatures, labelsStayOnClient, lateMessagesIgnored, noDoubleApply } from './properties.js';
import { checkSettingsFromScenario } from './settings.js';
import type { CheckSettings } from './types.js';
import { ProtocolWorld } from './world.js';

interface Model {
  up: boolean[];
  /** When a crashed client comes back by itself (null: it does not). */
  rejoinAt: (number | null)[];
  now: number;
}

interface Real {
  world: ProtocolWorld;
}

type Cmd = fc.Command<Model, Real>;

const SAFETY = [noDoubleApply, gradientAfterFeatures, lateMessagesIgnored, labelsStayOnClient];

function assertSafe(world: ProtocolWorld): void {
  const t = world.result();
  for (const p of SAFETY) expect(`${p.name}: ${p.check(t, () => t) ?? 'holds'}`).toBe(`${p.name}: holds`);
  // Liveness so far: every round whose deadline has passed is complete.
  for (const s of t.roundStarts) if (s.deadline < world.now) expect(t.roundCompletes.some((c) => c.round === s.round)).toBe(true);
}

function assertUp(m: Model, world: ProtocolWorld): void {
  m.up.forEach((up, k) => expect(`client-${k} ${world.isUp(k) ? 'up' : 'down'}`).toBe(`client-${k} ${up ? 'up' : 'down'}`));
}

class Advance implements Cmd {
  constructor(readonly dt: number) {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    r.world.runUntil(r.world.now + this.dt);
    m.now += this.dt;
    m.rejoinAt.forEach((at, k) => {
      if (at !== null && at <= r.world.now) {
        m.up[k] = true;
        m.rejoinAt[k] = null;
      }
    });
    assertUp(m, r.world);
    assertSafe(r.world);
  }
  toString = (): string => `advance ${this.dt} s`;
}

class Crash implements Cmd {
  constructor(
    readonly k: number,
    readonly downS: number | null,
  ) {}
  check = (m: Readonly<Model>): boolean => m.up[this.k] === true;
  run(m: Model, r: Real): void {
    r.world.crashClient(this.k, this.downS);
    m.up[this.k] = false;
    m.rejoinAt[this.k] = this.downS === null ? null : r.world.now + this.downS;
    assertUp(m, r.world);
  }
  toString = (): string => `crash client-${this.k}${this.downS === null ? ' for good' : `, back ${this.downS} s later`}`;
}

class Rejoin implements Cmd {
  constructor(readonly k: number) {}
  check = (m: Readonly<Model>): boolean => m.up[this.k] === false;
  run(m: Model, r: Real): void {
    r.world.rejoinClient(this.k);
    m.up[this.k] = true;
    m.rejoinAt[this.k] = null;
    assertUp(m, r.world);
  }
  toString = (): string => `rejoin client-${this.k}`;
}

class RestartServer implements Cmd {
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    r.world.restartServer();
    assertUp(m, r.world);
  }
  toString = (): string => 'restart the split server';
}

async function small(...sets: string[]): Promise<CheckSettings> {
  const overrides = ['protocol.clients=3', 'protocol.rounds=3', 'data.samplesPerClient=24', ...sets].map(parseOverride);
  return checkSettingsFromScenario(await loadScenario('scenarios/quickstart.yaml', overrides));
}

function commands(s: CheckSettings): fc.Arbitrary<Iterable<Cmd>> {
  const client = fc.integer({ min: 0, max: s.clients - 1 });
  const dt = fc.constantFrom(0.05, 0.2, 1, s.stepTimeoutS, s.roundDeadlineS);
  return fc.commands(
    [
      dt.map((d) => new Advance(d)),
      fc.tuple(client, fc.option(dt, { nil: null })).map(([k, d]) => new Crash(k, d)),
      client.map((k) => new Rejoin(k)),
      fc.constant(new RestartServer()),
    ],
    { maxCommands: 15 },
  );
}

describe('model-based runs: faults injected as commands into a running protocol', () => {
  for (const variant of ['sflv1', 'sflv2'] as const) {
    it(`${variant}: safety after every command, every property at the end`, async () => {
      const s = await small(`protocol.variant=${variant}`);
      fc.assert(
        fc.property(commands(s), (cmds) => {
          const setup = (): { model: Model; real: Real } => ({
            model: { up: Array.from({ length: s.clients }, () => true), rejoinAt: Array.from({ length: s.clients }, () => null), now: 0 },
            real: { world: new ProtocolWorld(s, noFaults()) },
          });
          let world: ProtocolWorld | null = null;
          fc.modelRun(() => {
            const x = setup();
            world = x.real.world;
            return x;
          }, cmds);
          // Bring everyone back so the run can finish, then judge the whole trace.
          const w = world as unknown as ProtocolWorld;
          for (let k = 0; k < s.clients; k++) w.rejoinClient(k);
          const t = w.run();
          for (const p of PROPERTIES) expect(`${p.name}: ${p.check(t, () => t) ?? 'holds'}`).toBe(`${p.name}: holds`);
        }),
        { seed: 42, numRuns: 25 },
      );
    }, 60_000);
  }
});
