import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redactRedisUrl } from './redisUrl.js';

describe('parseRedisUrl', () => {
  it('host, port, db, credentials, TLS', () => {
    expect(parseRedisUrl('redis://localhost')).toEqual({ host: 'localhost', port: 6379, db: 0, maxRetriesPerRequest: null });
    expect(parseRedisUrl('rediss://al%40ice:p%3Ass@redis.lab:6380/2')).toEqual({
      host: 'redis.lab',
      port: 6380,
      db: 2,
      username: 'al@ice',
      password: 'p:ss',
      tls: {},
      maxRetriesPerRequest: null,
    });
    expect(parseRedisUrl('redis://:only-pw@10.0.0.5:7000').password).toBe('only-pw');
  });
  it('rejects other schemes without echoing the password', () => {
    expect(() => parseRedisUrl('http://u:hunter2@host')).toThrow('--queue: must be a redis:// or rediss:// URL, got "http://***@host"');
    expect(() => parseRedisUrl('redis://:hunter2@host/x')).toThrow('--queue: the path must be a database number, got "x"');
    expect(() => parseRedisUrl('not a url')).toThrow('--queue: must be a redis:// or rediss:// URL');
  });
});

describe('redactRedisUrl', () => {
  it('masks user and password, leaves the rest', () => {
    expect(redactRedisUrl('rediss://user:hunter2@host:6380/1')).toBe('rediss://***@host:6380/1');
    expect(redactRedisUrl('redis://host:6379')).toBe('redis://host:6379');
  });
});
