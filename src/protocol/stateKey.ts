/**
 * Who owns which state in SplitFed (DESIGN §1): each client its client-side parts and the
 * codecs it sends with; the split server its part (M, or S in label-sharing) and the codecs it
 * sends with, one copy per client in SFLV1 and one shared copy in SFLV2; the federator the
 * global copies it averages into.
 */
import { clientName } from './actorNames.js';

/** SFLV1: the server keeps a copy of its part per client, served in parallel; SFLV2: one copy, one client at a time. */
export type SflVariant = 'sflv1' | 'sflv2';

/** Server-held state: the middle part, and the codecs the server sends with. */
const SERVER_PARTS = new Set(['M', 'S', 'codec/F2', 'codec/G1']);

/**
 * Key of a state in the store: `global/<part>`, `client-k/<part>`, or the split server's
 * `server/<part>/k` (SFLV1: one copy per client) / `server/<part>` (SFLV2: one copy).
 * Parts are model parts (`FE`, `M`, …) or codec slots (`codec/F1`, …).
 * @example stateKey(2, 'M', 'sflv1') === 'server/M/2'
 */
export function stateKey(owner: 'global' | number, part: string, variant: SflVariant): string {
  if (owner === 'global') return `global/${part}`;
  if (SERVER_PARTS.has(part)) return variant === 'sflv1' ? `server/${part}/${owner}` : `server/${part}`;
  return `${clientName(owner)}/${part}`;
}
