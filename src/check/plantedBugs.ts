/**
 * Deliberately broken protocol variants (issue 5, part 4), each swapping one named guard or
 * action of the real machines through `.provide()`. They exist so tests can show the checker
 * catches each one with a shrunk counterexample; they are not reachable from the CLI.
 */
import { assign } from 'xstate';
import { clientIndex } from '../actors/common.js';
import { serverReact } from '../actors/splitServer.js';
import { withUpdate, type FederatorContext } from '../actors/federator.js';
import type { ActorEvent, Effect, WireMessage } from '../protocol/messages.js';
import { Link } from '../sim/index.js';
import { isMessage } from '../actors/common.js';
import type { ProtocolVariant } from './variant.js';

/** A planted bug and the property that must catch it. */
export interface PlantedBug extends ProtocolVariant {
  caughtBy: string;
}

type MessageEvent = Extract<ActorEvent, { type: 'message' }>;
type FederatorCtx = { round: number; selected: number[]; received: { client: number }[] };

const averagesLateUpdate: PlantedBug = {
  name: 'averages-late-update',
  description: "the federator also takes a straggler's update from the previous round into its FedAvg",
  caughtBy: 'fedavg-matches-reference',
  federator: {
    guards: {
      acceptsUpdate: ({ context, event }) => {
        const ctx = context as FederatorCtx;
        if (event.type !== 'message' || event.msg.kind !== 'weights.up') return false;
        if (event.msg.round !== ctx.round && event.msg.round !== ctx.round - 1) return false;
        const k = clientIndex(event.from);
        return ctx.selected.includes(k) && !ctx.received.some((u) => u.client === k);
      },
    },
  },
};

const forgetsSampleWeights: PlantedBug = {
  name: 'forgets-sample-weights',
  description: 'the federator records every update as one sample, so FedAvg is an unweighted mean',
  caughtBy: 'fedavg-matches-reference',
  federator: {
    actions: {
      recordUpdate: assign(({ context, event }) => {
        const e = event as MessageEvent;
        const msg = e.msg as Extract<WireMessage, { kind: 'weights.up' }>;
        return { received: [...context.received, { client: clientIndex(e.from), samples: 1, blob: msg.blob }] };
      }),
    },
  },
};

const appliesDuplicateGradient: PlantedBug = {
  name: 'applies-duplicate-gradient',
  description: 'the split server forgets that a batch was trained, so a duplicated gradients.s2 runs M backward again',
  caughtBy: 'no-double-apply',
  serverReact: (ctx, event) => {
    const step = serverReact(ctx, event);
    const stash = step.context.stash;
    if (stash !== undefined) {
      for (const [key, s] of Object.entries(stash)) {
        const k = Number(key);
        if (s.backward) stash[k] = { ...s, backward: false, f1hat: s.f1hat ?? ctx.stash[k]?.f1hat ?? null };
      }
    }
    return step;
  },
};

const leaksLabels: PlantedBug = {
  name: 'leaks-labels',
  description: 'a U-shaped client treats its second forward output as labels to share and sends it to the server',
  caughtBy: 'labels-stay-on-client',
  client: { guards: { sharesLabels: () => true } },
};

const deadlocksWhenLastClientDrops: PlantedBug = {
  name: 'deadlocks-when-last-client-drops',
  description: 'the federator ignores its deadline until some update arrived, so a round whose clients all drop never ends',
  caughtBy: 'terminates-by-deadline',
  federator: {
    guards: {
      deadlineReached: ({ context, event }) =>
        event.type === 'timer' && event.name === 'deadline' && event.round === (context as FederatorCtx).round && (context as FederatorCtx).received.length > 0,
    },
  },
};

const restartsRoundOnRepeatedWeights: PlantedBug = {
  name: 'restarts-round-on-repeated-weights',
  description: "a client takes a second copy of its round's weights for a new round and starts the round's batches again from batch 0",
  caughtBy: 'makes-progress',
  client: {
    guards: {
      newRound: ({ context, event }) => isMessage(event, 'weights.down') && event.msg.round >= (context as { round: number }).round,
    },
  },
};

const servesWhoeverSends: PlantedBug = {
  name: 'serves-whoever-sends',
  description: "the SFLV2 split server serves any client's batch as if it held the turn (and takes turn.done from anyone)",
  caughtBy: 'turns-are-exclusive',
  serverReact: (ctx, event) => {
    const k = event.type === 'message' ? clientIndex(event.from) : -1;
    if (ctx.variant !== 'sflv2' || k < 0 || k === ctx.turnHolder) return serverReact(ctx, event);
    const step = serverReact({ ...ctx, turnHolder: k }, event);
    return { context: { turnHolder: ctx.turnHolder, ...step.context }, effects: step.effects };
  },
};

const keepsIgnoredCopies: PlantedBug = {
  name: 'keeps-ignored-copies',
  description: 'the split server drops a late or duplicated message without freeing its buffer',
  caughtBy: 'buffers-live-right',
  serverReact: (ctx, event) => {
    const step = serverReact(ctx, event);
    const ignored = event.type === 'message' && step.effects.every((e) => e.type === 'release');
    return ignored ? { ...step, effects: [] } : step;
  },
};

const redecodesDuplicateFeatures: PlantedBug = {
  name: 'redecodes-duplicate-features',
  description: 'the split server decodes a copy of features it already took again, freeing the decoded tensor the batch’s gradient needs (the bug the real-compute check found)',
  caughtBy: 'makes-progress',
  serverReact: (ctx, event) => {
    if (event.type !== 'message' || event.msg.kind !== 'features.s1') return serverReact(ctx, event);
    const k = clientIndex(event.from);
    const s = ctx.stash[k];
    if (s === undefined || s.features !== true || s.backward) return serverReact(ctx, event);
    return serverReact({ ...ctx, stash: { ...ctx.stash, [k]: { ...s, features: false } } }, event);
  },
};

const keepsTurnOfSilentHolder: PlantedBug = {
  name: 'keeps-turn-of-silent-holder',
  description: 'the SFLV2 split server ignores its turn timer, so a holder that crashed or went silent keeps the turn and the clients behind it never train',
  caughtBy: 'turns-are-exclusive',
  serverReact: (ctx, event) => (event.type === 'timer' && event.name === 'turn' ? { context: {}, effects: [] } : serverReact(ctx, event)),
};

const dropsStaleOutputs: PlantedBug = {
  name: 'drops-stale-outputs',
  description: "the split server ignores a finished task's outputs when their batch has moved on, without freeing them (nothing refers to them any more)",
  caughtBy: 'buffers-live-right',
  serverReact: (ctx, event) => {
    const step = serverReact(ctx, event);
    if (event.type !== 'compute.done') return step;
    const outs = new Set(event.outputs.map((b) => b.id));
    const effects = step.effects.flatMap((e): Effect[] => {
      if (e.type !== 'release') return [e];
      const blobs = e.blobs.filter((id) => !outs.has(id));
      return blobs.length > 0 ? [{ type: 'release', blobs }] : [];
    });
    return { ...step, effects };
  },
};

const servesAbandonedBatches: PlantedBug = {
  name: 'serves-abandoned-batches',
  description: "the split server ignores a client's abandon notice and goes on with the batch (work and a reply nobody waits for)",
  caughtBy: 'late-reply-never-applied',
  serverReact: (ctx, event) =>
    event.type === 'message' && event.msg.kind === 'control' && event.msg.control.op === 'abandon' ? { context: {}, effects: [] } : serverReact(ctx, event),
};

const countsCodecsSentAsHeld: PlantedBug = {
  name: 'counts-codecs-sent-as-held',
  description:
    "once any client reports, the federator counts the round's codec version as held by every client it selected (the bug loads-match-global found): one cut off before its codec.down then gets a delta against a version it never had",
  caughtBy: 'loads-match-global',
  federator: {
    actions: {
      recordUpdate: assign(({ context, event }) => {
        const ctx = context as FederatorContext;
        const next = withUpdate(ctx, event as MessageEvent);
        return { ...next, clientCodec: next.clientCodec.map((v, k) => (ctx.selected.includes(k) ? ctx.codecVersion : v)) };
      }),
    },
  },
};

/** A FIFO link that resends a lost packet without counting the resent bytes (on the wire, in the message, in its counters). */
class LinkForgettingResentBytes extends Link {
  protected override resentWireBytes(_packetBytes: number): number {
    return 0;
  }
}

const forgetsResentBytes: PlantedBug = {
  name: 'forgets-resent-bytes',
  description: 'a reliable link resends a lost packet but counts none of its bytes on the wire (the message looks loss-free and cheaper)',
  caughtBy: 'link-accounting',
  link: LinkForgettingResentBytes,
};

/** Every planted bug. */
export const PLANTED_BUGS: readonly PlantedBug[] = [
  averagesLateUpdate,
  forgetsSampleWeights,
  appliesDuplicateGradient,
  leaksLabels,
  deadlocksWhenLastClientDrops,
  restartsRoundOnRepeatedWeights,
  servesWhoeverSends,
  keepsIgnoredCopies,
  forgetsResentBytes,
  redecodesDuplicateFeatures,
  keepsTurnOfSilentHolder,
  dropsStaleOutputs,
  servesAbandonedBatches,
  countsCodecsSentAsHeld,
];
