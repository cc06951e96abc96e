/**
 * The external engines the cluster-mode tests run against: PostgreSQL and Redis, started by
 * `.ci/run` (or by hand) on 127.0.0.1. Each helper answers `{ skip: reason }` when the engine is
 * not reachable, so the tests that need it skip with a visible reason instead of failing.
 *
 * Defaults match what `.ci/run` sets up (role `lapis`, password `lapis`, CREATEDB); override with
 * LAPIS_TEST_POSTGRES_URL (a URL whose database is used to create throwaway databases) and
 * LAPIS_TEST_REDIS_URL.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

const postgresAdminUrl = process.env.LAPIS_TEST_POSTGRES_URL ?? 'postgresql://lapis:lapis@127.0.0.1:5432/postgres';
const redisUrl = process.env.LAPIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ThrowawayDatabase {
  url: string;
  drop(): Promise<void>;
}

let postgresProbe: Promise<string | undefined> | undefined;
let redisProbe: Promise<string | undefined> | undefined;

/** Why PostgreSQL can't be used here, or undefined when it can. Probed once per process. */
export function postgresUnavailable(): Promise<string | undefined> {
  postgresProbe ??= (async () => {
    const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 2000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (err) {
      return `PostgreSQL not reachable at ${redact(postgresAdminUrl)} (${(err as Error).message}); .ci/run starts it`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return postgresProbe;
}

/** Why Redis can't be used here, or undefined when it can. Probed once per process. */
export function redisUnavailable(): Promise<string | undefined> {
  redisProbe ??= (async () => {
    const client = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return undefined;
    } catch (err) {
      return `Redis not reachable at ${redisUrl} (${(err as Error).message}); .ci/run starts it`;
    } finally {
      client.disconnect();
    }
  })();
  return redisProbe;
}

/** Creates an empty database of its own for one test file; `drop()` removes it. */
export async function createThrowawayDatabase(): Promise<ThrowawayDatabase> {
  const name = `lapis_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  admin.on('error', () => {});
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: postgresAdminUrl });
      c.on('error', () => {});
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** The Redis URL for tests, and a key prefix of their own so parallel test files never share keys. */
export function testRedis(): { url: string; prefix: string } {
  return { url: redisUrl, prefix: `lapis-test-${randomBytes(4).toString('hex')}:` };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
