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
      // Best effort, never failing the test file: end this role's sessions, then a plain DROP (it
      // stops autovacuum workers itself; WITH (FORCE) refuses when one of them holds the database).
      for (let attempt = 1; attempt <= 5; attempt++) {
        const c = new pg.Client({ connectionString: postgresAdminUrl });
        c.on('error', () => {});
        try {
          await c.connect();
          await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()', [name]);
          await c.query(`DROP DATABASE IF EXISTS ${name}`);
          return;
        } catch (err) {
          if (attempt === 5) process.emitWarning(`could not drop the test database ${name}: ${(err as Error).message}`);
          else await new Promise((r) => setTimeout(r, 200 * attempt));
        } finally {
          await c.end().catch(() => {});
        }
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

/** A Redis server of one test's own (so it can be stopped and restarted without touching others). */
export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const { spawn } = await import('node:child_process');
  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
  let child: import('node:child_process').ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    child.on('error', () => {});
    for (let i = 0; i < 100; i++) {
      const c = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => {});
      const ok = await c.connect().then(() => c.ping()).then(() => true, () => false);
      c.disconnect();
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the private redis-server did not start');
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}

/**
 * A database outage as the nodes see one: new connections refused and every open one dropped,
 * for the throwaway database only (the shared server keeps serving other tests).
 */
export async function databaseOutage(databaseUrl: string): Promise<{ end(): Promise<void> }> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: postgresAdminUrl });
    c.on('error', () => {});
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
  await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`);
  return { end: () => admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`) };
}
