/** The effect interpreter every world shares, and the faults it applies. */
export { EffectInterpreter, computeDone, timerEvent, type EffectOf, type EffectPorts } from './interpreter.js';
export { FaultPlan, NO_FAULTS, type CrashFault, type Direction, type Faults, type MessageFault, type StraggleFault } from './faultPlan.js';
export { MessageFaults, type CopyFate, type FaultedMessage } from './messageFaults.js';
