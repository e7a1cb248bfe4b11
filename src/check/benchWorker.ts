/** Worker thread of the check benchmark: runs its share and posts the result. */
import { parentPort, workerData } from 'node:worker_threads';
import { runBenchShare, type BenchShare } from './benchRun.js';

parentPort?.postMessage(await runBenchShare(workerData as BenchShare));
