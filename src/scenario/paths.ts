/**
 * The fields of a scenario that name files or folders, and their resolution: a relative path in
 * a scenario file means "next to this file", wherever the command runs from.
 */
import { isAbsolute, resolve } from 'node:path';

type Tree = Record<string, unknown>;

function isTree(x: unknown): x is Tree {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Every path-valued slot of a (possibly not yet valid) scenario tree: its holder and key. */
function pathSlots(root: Tree): Array<{ holder: Tree; key: string }> {
  const slots: Array<{ holder: Tree; key: string }> = [];
  const at = (holder: unknown, key: string): void => {
    if (isTree(holder) && typeof holder[key] === 'string') slots.push({ holder, key });
  };
  const link = (l: unknown): void => {
    if (!isTree(l)) return;
    at(l['bandwidthTrace'], 'file');
    at(l, 'latencyTrace');
  };
  at(root['data'], 'path');
  const net = root['network'];
  if (!isTree(net)) return slots;
  link(net['uplink']);
  link(net['downlink']);
  if (Array.isArray(net['perClient'])) {
    for (const c of net['perClient']) {
      if (!isTree(c)) continue;
      link(c['uplink']);
      link(c['downlink']);
    }
  }
  for (const host of ['server', 'federator']) {
    const a = net[host];
    if (!isTree(a)) continue;
    at(a['uplinkTrace'], 'file');
    at(a['downlinkTrace'], 'file');
  }
  at(net['availability'], 'schedule');
  return slots;
}

/**
 * Makes every relative path in `tree` absolute against `base`, in place (absolute ones are left
 * as they are, so a second pass with another base changes only paths added since).
 * @example resolveScenarioPaths(tree, dirname(scenarioFile))
 */
export function resolveScenarioPaths(tree: Record<string, unknown>, base: string): void {
  for (const { holder, key } of pathSlots(tree)) {
    const value = holder[key] as string;
    if (value !== '' && !isAbsolute(value)) holder[key] = resolve(base, value);
  }
}
