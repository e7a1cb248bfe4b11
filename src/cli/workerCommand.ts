/** `splitwire worker`: serves sweep points from a BullMQ queue until stopped. */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseRedisUrl, redactRedisUrl } from '../sweep/redisUrl.js';
import { DEFAULT_LOCK_SECONDS, DEFAULT_QUEUE_NAME, MAX_STALLED } from '../sweep/queueNames.js';
import type { Io } from './io.js';

export const WORKER_HELP = `Usage: splitwire worker --queue URL [options]

Runs the sweep points queued by 'splitwire sweep --queue URL', each in its own process, and
stores their files in Redis for the sweep to collect. Run it from the project folder: the files
a scenario names (traces, data folders) must exist at the same relative paths, with the same
content, as where the sweep started (checked; a job that cannot run fails with the reason).
A job whose worker dies is picked up by another after its lock lapses (at most ${MAX_STALLED} times).
Stop with Ctrl-C / SIGTERM: running jobs finish first.

Options:
  --queue URL         redis://[user:password@]host:port[/db] or rediss://… (TLS)
  --queue-name N      queue (and Redis key prefix) name (default: ${DEFAULT_QUEUE_NAME})
  --concurrency N     jobs at once (default: 1: each run uses its scenario's compute pool;
                      with N >= the cores, ${availableParallelism()} here, each computes in its own thread)
  --lock-seconds S    a job's lock; a dead worker's job is retried after about 1–2× this (default: ${DEFAULT_LOCK_SECONDS})
  -h, --help          this text
`;

export async function workerCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      queue: { type: 'string' },
      'queue-name': { type: 'string' },
      concurrency: { type: 'string' },
      'lock-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(WORKER_HELP);
    return 0;
  }
  const fail = (m: string): number => {
    io.stderr(`splitwire worker: ${m}\n\n${WORKER_HELP}`);
    return 2;
  };
  if (positionals.length > 0) return fail(`expected no file, got ${positionals.join(' ')}`);
  if (values.queue === undefined) return fail('--queue: must be given, got nothing');
  const concurrency = Number(values.concurrency ?? 1);
  if (!Number.isInteger(concurrency) || concurrency < 1) return fail(`--concurrency: must be a positive integer, got ${JSON.stringify(values.concurrency)}`);
  const lockSeconds = Number(values['lock-seconds'] ?? DEFAULT_LOCK_SECONDS);
  if (!Number.isFinite(lockSeconds) || lockSeconds < 1) return fail(`--lock-seconds: must be a number ≥ 1, got ${JSON.stringify(values['lock-seconds'])}`);
  let connection;
  try {
    connection = parseRedisUrl(values.queue);
  } catch (err) {
    return fail((err as Error).message);
  }
  const { startWorker } = await import('../sweep/worker.js');
  const { checkRedis } = await import('../sweep/checkRedis.js');
  try {
    await checkRedis(connection, redactRedisUrl(values.queue));
  } catch (err) {
    io.stderr(`splitwire worker: ${(err as Error).message}\n`);
    return 2;
  }
  const queueName = values['queue-name'] ?? DEFAULT_QUEUE_NAME;
  const { worker, store } = await startWorker({
    connection,
    queueName,
    concurrency,
    lockSeconds,
    log: (line) => io.stderr(`worker: ${line}\n`),
  });
  io.stderr(`worker: serving queue ${queueName} at ${redactRedisUrl(values.queue)}, ${concurrency} at a time (pid ${process.pid})\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      io.stderr('worker: stopping after the running jobs\n');
      void worker.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await store.close();
  return 0;
}
