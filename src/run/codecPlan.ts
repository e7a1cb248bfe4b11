/**
 * The run's codec plan: the split geometry read from the model, handed to the codec layer's
 * `codecPlan` (src/codecs/codecPlan.ts), which owns every codec decision and default.
 */
import { codecPlan as planSlots, type SlotPlan } from '../codecs/index.js';
import type { SplitModel } from '../model/types.js';
import type { Scenario } from '../scenario/schema.js';

export { codecLabel, codecTrains, SENDER, type SlotPlan } from '../codecs/index.js';

/** The plan of every slot the topology uses (label-sharing has only F1 and G1). */
export function codecPlan(s: Scenario, model: SplitModel): SlotPlan[] {
  const front = model.parts[model.topology === 'u-shaped' ? 'FE' : 'FE1'];
  if (front === undefined) throw new Error('model has no front part');
  const f1 = front.outputShapes(1)[0];
  const channels = f1?.[3];
  const size = f1?.[1];
  if (channels === undefined || size === undefined) throw new Error(`model: the front part's output is not NHWC, got [${f1?.join(', ')}]`);
  return planSlots(s.codec, { topology: model.topology, channels, size });
}
