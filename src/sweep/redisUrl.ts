/**
 * A queue address: `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS), turned
 * into the connection options BullMQ and ioredis take, and a form safe to print.
 */

/** Connection options for BullMQ and ioredis (a subset of ioredis' RedisOptions). */
export interface RedisConnection {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: Record<string, never>;
  /** BullMQ workers must block on Redis without a per-command retry limit. */
  maxRetriesPerRequest: null;
}

/**
 * Parses a queue URL. Throws `--queue: must be …, got …` with the credentials masked.
 * @example parseRedisUrl('rediss://:secret@redis.lab:6380/2')
 */
export function parseRedisUrl(text: string, field = '--queue'): RedisConnection {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${field}: must be a redis:// or rediss:// URL, got ${JSON.stringify(redactRedisUrl(text))}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`${field}: must be a redis:// or rediss:// URL, got ${JSON.stringify(redactRedisUrl(text))}`);
  }
  if (url.hostname === '') throw new Error(`${field}: must name a host, got ${JSON.stringify(redactRedisUrl(text))}`);
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) {
    throw new Error(`${field}: the path must be a database number, got ${JSON.stringify(path)}`);
  }
  const out: RedisConnection = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 6379 : Number(url.port),
    db: path === '' ? 0 : Number(path),
    maxRetriesPerRequest: null,
  };
  if (url.username !== '') out.username = decodeURIComponent(url.username);
  if (url.password !== '') out.password = decodeURIComponent(url.password);
  if (url.protocol === 'rediss:') out.tls = {};
  return out;
}

/** The URL with its user name and password replaced by `***` (for logs and result files). */
export function redactRedisUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
}
