/**
 * Run progress on stderr: on a terminal, a bar with the ETA redrawn in place (and a line per
 * round above it); otherwise plain lines, one per round. Wall time comes in the `Progress`
 * records (only src/sim reads the clock).
 */
import type { Progress } from '../run/simulation.js';
import { formatSeconds } from './format.js';
import type { Io } from './io.js';

/** What runScenario is given, and `done` to call when it returns. */
export interface ProgressPrinter {
  round: (p: Progress) => void;
  step: (p: Progress) => void;
  done: () => void;
}

const WIDTH = 30;

/** One progress line per round (the `Progress` of its end). */
export function roundLine(pr: Progress): string {
  const r = pr.lastRound;
  const acc = r?.meanIoU != null ? `IoU ${r.meanIoU.toFixed(3)}` : 'IoU –';
  const loss = r?.loss != null ? `loss ${r.loss.toFixed(3)}` : '';
  return `  round ${pr.round + 1}/${pr.rounds}  ${acc}  ${loss}  sim ${formatSeconds(pr.simulatedSeconds)}  steps ${pr.stepsDone}/${pr.stepsTotal}  wall ${pr.wallSeconds.toFixed(0)} s\n`;
}

/** The bar line: `[#####-----]  40%  steps 8/20  ETA 12 s`. */
export function progressBar(p: Progress): string {
  const f = p.stepsTotal > 0 ? Math.min(1, p.stepsDone / p.stepsTotal) : 0;
  const filled = Math.round(f * WIDTH);
  const eta = p.stepsDone > 0 && f < 1 ? `ETA ${formatSeconds((p.wallSeconds / p.stepsDone) * (p.stepsTotal - p.stepsDone))}` : 'ETA –';
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(f * 100).toFixed(0).padStart(3)}%  steps ${p.stepsDone}/${p.stepsTotal}  ${eta}`;
}

/**
 * A printer for `io`: a bar redrawn at most 5 times a wall second when `io.isTTY`, else only round lines.
 * @example const pr = progressPrinter(io); await runScenario(s, { onProgress: pr.round, onStep: pr.step }); pr.done();
 */
export function progressPrinter(io: Io): ProgressPrinter {
  const tty = io.isTTY === true;
  let last = -Infinity;
  let bar = '';
  const clear = (): void => {
    if (bar !== '') io.stderr('\r\x1b[2K');
  };
  return {
    round: (p) => {
      clear();
      io.stderr(roundLine(p));
      if (bar !== '') io.stderr(bar);
    },
    step: (p) => {
      if (!tty || p.wallSeconds - last < 0.2) return;
      last = p.wallSeconds;
      clear();
      bar = progressBar(p);
      io.stderr(bar);
    },
    done: () => {
      clear();
      bar = '';
    },
  };
}
