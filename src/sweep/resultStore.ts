/**
 * Results travel through Redis: one hash per point key, `splitwire:result:<key>`, holding
 * summary.json as is and traffic.ndjson and timeline.ndjson gzip-compressed. The sweep writes
 * them back byte for byte; a key already there is a finished point and is never run again.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import type { RedisConnection } from './redisUrl.js';
import type { RunFiles } from './pointDir.js';

/** How long a result stays in Redis after it was stored (30 days): the sweep copies it out long before. */
export const RESULT_TTL_SECONDS = 30 * 24 * 3600;

/** The Redis key of a point's result. */
export function resultKey(prefix: string, key: string): string {
  return `${prefix}:result:${key}`;
}

/** Reads and writes point results in Redis. */
export class ResultStore {
  private readonly redis: Redis;

  constructor(
    connection: RedisConnection,
    private readonly prefix: string,
  ) {
    this.redis = new Redis({ ...connection, lazyConnect: false });
  }

  /** Whether the result of `key` is stored. */
  async has(key: string): Promise<boolean> {
    return (await this.redis.exists(resultKey(this.prefix, key))) === 1;
  }

  /** Stores a run's files under `key` (compressed), replacing what was there: equal keys hold equal results. */
  async put(key: string, files: RunFiles): Promise<number> {
    const traffic = gzipSync(files.traffic);
    const timeline = gzipSync(files.timeline);
    const k = resultKey(this.prefix, key);
    await this.redis.multi().hset(k, { summary: files.summary, traffic, timeline }).expire(k, RESULT_TTL_SECONDS).exec();
    return files.summary.length + traffic.length + timeline.length;
  }

  /** The files of `key`, or null when none are stored. */
  async get(key: string): Promise<RunFiles | null> {
    const h = await this.redis.hgetallBuffer(resultKey(this.prefix, key));
    const { summary, traffic, timeline } = h;
    if (summary === undefined || traffic === undefined || timeline === undefined) return null;
    return { summary, traffic: gunzipSync(traffic), timeline: gunzipSync(timeline) };
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}
