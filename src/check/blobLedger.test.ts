import { describe, expect, it } from 'vitest';
import type { BlobRef } from '../protocol/messages.js';
import { BlobLedger } from './blobLedger.js';

const blob = (id: number): BlobRef => ({ id, bytes: 4, rawBytes: 4, codec: 'none' });

describe('BlobLedger: buffers an actor lets go of', () => {
  it('reports an owned buffer its state no longer refers to, and nothing that was freed, consumed, sent on or lost with a crash', () => {
    const ledger = new BlobLedger();
    // A server's decode gave it 1..6: it frees 1, m.backward consumes 2, it sends 3 on, keeps 4 in
    // its state, and forgets 5 and 6 without freeing them.
    ledger.produced('server', 0, 'decode', [1, 2, 3, 4, 5, 6].map(blob), 0, 0);
    ledger.released('server', [1], 1);
    ledger.task('server', 'm.backward', [blob(2), null], 1);
    ledger.sent('server', 3, 'features.s2', 1);
    // A crashed client's buffers went with it.
    ledger.produced('client-0', 0, 'fe.forward', [blob(7)], 0, 0);
    const refersTo = (actor: string): ReadonlySet<number> | null => (actor === 'server' ? new Set([4]) : null);
    const r = ledger.report(refersTo);
    expect(r.droppedCount).toBe(2);
    expect(r.dropped).toEqual([
      'server let go of output 4 of its decode (round 0, step 0) without freeing it',
      'server let go of output 5 of its decode (round 0, step 0) without freeing it',
    ]);
    expect(r.useAfterRelease).toBeNull();
    ledger.task('server', 'encode', [blob(1)], 2);
    expect(ledger.report(refersTo).useAfterRelease).toBe('server used blob 1 as input 0 of encode at t=2, freed by server at t=1');
  });

  it('counts a message copy the receiver kept in its state as held, and one it dropped as let go', () => {
    const ledger = new BlobLedger();
    ledger.delivered('server', 1, 10, 'control labels #3 copy 0');
    ledger.delivered('server', 1, 11, 'control labels #4 copy 0');
    ledger.task('server', 'm.forward', [blob(10), blob(11)], 1); // read in place: still the server's
    expect(ledger.report((_, inc) => (inc === 1 ? new Set([10]) : null)).dropped).toEqual(['server let go of control labels #4 copy 0 without freeing it']);
    expect(ledger.report(() => null).droppedCount).toBe(0); // restarted since: its memory went with it
  });
});
