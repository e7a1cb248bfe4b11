/**
 * Tariff files (YAML): what traffic costs, what compression costs, and how often the
 * deployment trains. Format and examples: docs/roi.md, scenarios/tariffs/*.yaml.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { InputError, fieldError } from './errors.js';
import {
  maybeNumber,
  onlyKeys,
  optBoolean,
  optChoice,
  optNumber,
  optString,
  record,
} from './fields.js';
import type { Direction } from './types.js';

/** A flat plan with a data cap: a fee, an allowance, a price per unit over it. */
export interface Plan {
  /** `client`: every client site has its own plan (a SIM, a terminal); `total`: one plan for all. */
  per: 'client' | 'total';
  monthlyFee: number;
  /** Allowance per plan per month, in the tariff's unit; `null` = unlimited. */
  includedGB: number | null;
  overagePerGB: number;
}

/** A faster link per client site: the alternative to compressing. */
export interface Upgrade {
  oneOffPerClient: number;
  monthlyPerClient: number;
  /** Bandwidth the priced upgrade gives, if stated; compared with the bandwidth needed. */
  mbps: number | null;
  /** Bandwidth the links have now; when the need is below it, no upgrade is needed (nor avoided). */
  currentMbps: number | null;
  /** Count the upgrade as avoided by compression (its costs become savings) when it is needed. */
  countAsSaving: boolean;
}

/** What the compression itself costs. */
export interface CompressionCosts {
  /** Integration, engineering, licences bought once. */
  oneOff: number;
  /** Running costs other than compute, per month. */
  monthly: number;
  /** Price of one device-hour of codec compute (encode + decode). */
  computePerHour: number;
  /** Per-device price overrides, by the timeline's `device` name. */
  computePerHourByDevice: Record<string, number>;
}

/** How the deployment trains; size fields default to the pilot's. */
export interface DeploymentPlan {
  runsPerMonth: number;
  clients?: number;
  rounds?: number;
  samples?: number;
}

export interface Tariff {
  name: string;
  currency: string;
  /** `GB` = 10⁹ bytes, `GiB` = 2³⁰ bytes: the unit every `…GB` price and allowance is in. */
  unit: 'GB' | 'GiB';
  /** Metered price per unit of billed traffic. */
  perGB: number;
  /** Directions that are billed (`up` = from clients, `down` = to clients). */
  billed: Direction[];
  plan: Plan | null;
  upgrade: Upgrade | null;
  compression: CompressionCosts;
  deployment: DeploymentPlan;
}

/** Bytes in one unit of the tariff. */
export function unitBytes(tariff: Tariff): number {
  return tariff.unit === 'GiB' ? 2 ** 30 : 1e9;
}

const TOP = ['name', 'currency', 'unit', 'perGB', 'billed', 'plan', 'upgrade', 'compression', 'deployment'] as const;
const MONEY = { min: 0 };

function parsePlan(value: unknown): Plan {
  const p = record(value, 'tariff.plan');
  onlyKeys(p, ['per', 'monthlyFee', 'includedGB', 'overagePerGB'], 'tariff.plan');
  const included = p.includedGB;
  return {
    per: optChoice(p, 'per', 'tariff.plan', ['client', 'total'] as const, 'client'),
    monthlyFee: optNumber(p, 'monthlyFee', 'tariff.plan', 0, MONEY),
    includedGB:
      included === undefined || included === null || included === 'unlimited'
        ? null
        : optNumber(p, 'includedGB', 'tariff.plan', 0, MONEY),
    overagePerGB: optNumber(p, 'overagePerGB', 'tariff.plan', 0, MONEY),
  };
}

function parseUpgrade(value: unknown): Upgrade {
  const u = record(value, 'tariff.upgrade');
  onlyKeys(u, ['oneOffPerClient', 'monthlyPerClient', 'mbps', 'currentMbps', 'countAsSaving'], 'tariff.upgrade');
  return {
    oneOffPerClient: optNumber(u, 'oneOffPerClient', 'tariff.upgrade', 0, MONEY),
    monthlyPerClient: optNumber(u, 'monthlyPerClient', 'tariff.upgrade', 0, MONEY),
    mbps: maybeNumber(u, 'mbps', 'tariff.upgrade', { above: 0 }) ?? null,
    currentMbps: maybeNumber(u, 'currentMbps', 'tariff.upgrade', { above: 0 }) ?? null,
    countAsSaving: optBoolean(u, 'countAsSaving', 'tariff.upgrade', false),
  };
}

function parseCompression(value: unknown): CompressionCosts {
  const c = value === undefined ? {} : record(value, 'tariff.compression');
  onlyKeys(c, ['oneOff', 'monthly', 'computePerHour', 'computePerHourByDevice'], 'tariff.compression');
  const byDevice: Record<string, number> = {};
  if (c.computePerHourByDevice !== undefined) {
    const m = record(c.computePerHourByDevice, 'tariff.compression.computePerHourByDevice');
    for (const device of Object.keys(m)) {
      byDevice[device] = optNumber(m, device, 'tariff.compression.computePerHourByDevice', 0, MONEY);
    }
  }
  return {
    oneOff: optNumber(c, 'oneOff', 'tariff.compression', 0, MONEY),
    monthly: optNumber(c, 'monthly', 'tariff.compression', 0, MONEY),
    computePerHour: optNumber(c, 'computePerHour', 'tariff.compression', 0, MONEY),
    computePerHourByDevice: byDevice,
  };
}

function parseDeployment(value: unknown): DeploymentPlan {
  const d = value === undefined ? {} : record(value, 'tariff.deployment');
  onlyKeys(d, ['runsPerMonth', 'clients', 'rounds', 'samples'], 'tariff.deployment');
  const out: DeploymentPlan = { runsPerMonth: optNumber(d, 'runsPerMonth', 'tariff.deployment', 1, { above: 0 }) };
  const clients = maybeNumber(d, 'clients', 'tariff.deployment', { integer: true, min: 1 });
  const rounds = maybeNumber(d, 'rounds', 'tariff.deployment', { integer: true, min: 1 });
  const samples = maybeNumber(d, 'samples', 'tariff.deployment', { above: 0 });
  if (clients !== undefined) out.clients = clients;
  if (rounds !== undefined) out.rounds = rounds;
  if (samples !== undefined) out.samples = samples;
  return out;
}

function parseBilled(value: unknown): Direction[] {
  if (value === undefined) return ['up', 'down'];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((d) => d !== 'up' && d !== 'down')) {
    throw fieldError('tariff.billed', 'a list of directions: up, down', value);
  }
  return [...new Set(list as Direction[])];
}

/**
 * Validates a parsed tariff document.
 * @example parseTariff({ perGB: 0.09, billed: ['down'] }).perGB // 0.09
 */
export function parseTariff(doc: unknown): Tariff {
  const t = record(doc, 'tariff');
  onlyKeys(t, TOP, 'tariff');
  const tariff: Tariff = {
    name: optString(t, 'name', 'tariff', 'unnamed tariff'),
    currency: optString(t, 'currency', 'tariff', 'USD'),
    unit: optChoice(t, 'unit', 'tariff', ['GB', 'GiB'] as const, 'GB'),
    perGB: optNumber(t, 'perGB', 'tariff', 0, MONEY),
    billed: parseBilled(t.billed),
    plan: t.plan === undefined || t.plan === null ? null : parsePlan(t.plan),
    upgrade: t.upgrade === undefined || t.upgrade === null ? null : parseUpgrade(t.upgrade),
    compression: parseCompression(t.compression),
    deployment: parseDeployment(t.deployment),
  };
  return tariff;
}

/** Reads and validates a tariff YAML file; errors name the file. */
export async function loadTariff(path: string): Promise<Tariff> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`${path}: cannot read tariff file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InputError(`${path}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    return parseTariff(doc);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${path}: ${err.message}`);
    throw err;
  }
}
