/** A first contact with the queue's Redis that fails fast with a clear reason (BullMQ itself retries forever). */
import { Redis } from 'ioredis';
import type { RedisConnection } from './redisUrl.js';

/**
 * Connects once and pings; throws `--queue: cannot use <shown>: <reason>` when Redis is
 * unreachable, refuses the password, or is older than BullMQ needs. `shown` is the masked URL.
 */
export async function checkRedis(connection: RedisConnection, shown: string): Promise<void> {
  const redis = new Redis({ ...connection, lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let lastError: string | null = null;
  redis.on('error', (e: Error) => {
    lastError = e.message;
  });
  try {
    await redis.connect();
    await redis.ping();
    const info = await redis.info('server');
    const version = /redis_version:(\d+)\.(\d+)/.exec(info);
    if (version !== null && (Number(version[1]) < 6 || (Number(version[1]) === 6 && Number(version[2]) < 2))) {
      throw new Error(`Redis ${version[1]}.${version[2]} is older than the 6.2 BullMQ needs`);
    }
  } catch (err) {
    throw new Error(`--queue: cannot use ${shown}: ${lastError ?? ((err as Error).message || 'no answer')}`);
  } finally {
    redis.disconnect();
  }
}
