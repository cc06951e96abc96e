// Bounded under abuse (issue 10 §3), identity side: Entra's smart lockout. Repeated failed sign-ins
// per (tenant, user) and per (tenant, client) lock that key with AADSTS50053; while locked the
// credential is not checked (no scrypt); after the period a correct sign-in works again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { SmartLockout } from '../../src/identity/lockout.ts';
import { openMemoryStore } from '../../src/store/index.ts';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { assertEntraError, host, postForm, scrubAzureEnv, WEBPUBSUB_SCOPE } from './support.ts';

// ---- the policy, with a fake clock ------------------------------------------------------------

test('SmartLockout: threshold failures lock; the period doubles on each further lockout, up to the cap', async () => {
  const l = new SmartLockout({ threshold: 3, durationSeconds: 60, maxDurationSeconds: 200 });
  let t = 1_000_000;
  assert.equal(await l.failed('k', t), 0);
  assert.equal(await l.failed('k', t), 0);
  assert.equal(l.lockedFor('k', t), 0);
  assert.equal(await l.failed('k', t), 60, 'third failure locks for 60 s');
  assert.equal(l.lockedFor('k', t + 1000), 59);
  t += 61_000;
  assert.equal(l.lockedFor('k', t), 0, 'unlocked after the period');
  assert.equal(await l.failed('k', t), 120, 'the first failure after a lockout locks again, for twice as long');
  t += 121_000;
  assert.equal(await l.failed('k', t), 200, 'capped at maxDurationSeconds');
  await l.succeeded('k');
  assert.equal(l.lockedFor('k', t), 0);
  assert.equal(await l.failed('k', t), 0, 'a success starts over at the full threshold');
  assert.equal(l.lockedFor('other', t), 0, 'keys are independent');
});

test('SmartLockout: the number of tracked keys is bounded (LRU)', async () => {
  const l = new SmartLockout({ threshold: 5, maxTracked: 100 });
  for (let i = 0; i < 1000; i++) await l.failed(`user-${i}`);
  assert.ok(l.tracked <= 100, `tracked ${l.tracked}`);
});

test('SmartLockout on a store: a lockout survives a restart; stored counters carry no user name; old ones are swept', async () => {
  const store = openMemoryStore();
  const before = new SmartLockout({ threshold: 2, durationSeconds: 600 }, store);
  await before.start();
  await before.failed('tenant|carol@example.com');
  assert.ok(await before.failed('tenant|carol@example.com') > 0);
  before.stop();
  const rows = await store.list('identity.signInFailures');
  assert.equal(rows.length, 1);
  assert.doesNotMatch(JSON.stringify(rows), /carol/, 'keyed by a hash');
  const after = new SmartLockout({ threshold: 2, durationSeconds: 600 }, store);
  await after.start();
  assert.ok(after.lockedFor('tenant|carol@example.com') > 0, 'still locked after the restart');
  assert.equal(await after.sweep(Date.now() + 25 * 3600_000), 1, 'a day without failures: swept');
  assert.equal((await store.list('identity.signInFailures')).length, 0);
  after.stop();
  await store.close();
});

// ---- through the token endpoint -----------------------------------------------------------------

const TENANT = '8e2a4d63-1c9f-4d7b-8a32-6f4b5c7d8e20';
const CLI_APP = '8e2a4d63-1c9f-4d7b-8a32-6f4b5c7d8e21';
const SECRET_APP = { appId: '8e2a4d63-1c9f-4d7b-8a32-6f4b5c7d8e22', secret: 'Secret-app-value-123!' };
const USER = { userPrincipalName: 'bob@lockout.example', password: 'Bob-password-45!' };
let lapis: TestLapis;
let url: string;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT,
      domains: ['lockout.example'],
      signInLockout: { threshold: 3, durationSeconds: 1, maxDurationSeconds: 2 },
      applications: [
        { displayName: 'lockout-cli', appId: CLI_APP, isFallbackPublicClient: true },
        { displayName: 'lockout-secret', appId: SECRET_APP.appId, passwordCredentials: [{ secretText: SECRET_APP.secret }] },
      ],
      users: [USER],
    },
  });
  url = `${host(lapis.ready)}/${TENANT}/oauth2/v2.0/token`;
});

after(async () => {
  await lapis?.stop();
});

const passwordGrant = (password: string, username = USER.userPrincipalName) => postForm(url, { grant_type: 'password', client_id: CLI_APP, username, password, scope: WEBPUBSUB_SCOPE });
const secretGrant = (secret: string) => postForm(url, { grant_type: 'client_credentials', client_id: SECRET_APP.appId, client_secret: secret, scope: WEBPUBSUB_SCOPE });

/** Counts password checks (each one is an scrypt for a person's password). */
function countChecks(): { count: number; restore(): void } {
  const dir = lapis.node.identity.directory;
  const original = dir.checkPassword;
  const counter = { count: 0, restore: () => { dir.checkPassword = original; } };
  dir.checkPassword = async function (...args: Parameters<typeof original>) {
    counter.count++;
    return original.apply(this, args);
  };
  return counter;
}

test('password grant: after 3 wrong passwords the user is locked (AADSTS50053), even for the right password, without a password check', async () => {
  assertEntraError(await passwordGrant('wrong-1'), { status: 400, error: 'invalid_grant', code: 50126 });
  assertEntraError(await passwordGrant('wrong-2'), { status: 400, error: 'invalid_grant', code: 50126 });
  const third = await passwordGrant('wrong-3');
  assertEntraError(third, { status: 400, error: 'invalid_grant', code: 50053 });
  assert.match(third.json.error_description, /The account is locked, you've tried to sign in too many times with an incorrect user ID or password/);
  assert.ok(Number(third.headers['retry-after']) >= 1, 'Retry-After says how long');
  const checks = countChecks();
  try {
    for (let i = 0; i < 5; i++) assertEntraError(await passwordGrant(i === 4 ? USER.password : `again-${i}`), { status: 400, code: 50053 }, `attempt ${i} while locked`);
    assert.equal(checks.count, 0, 'no password is checked while the user is locked');
  } finally {
    checks.restore();
  }
  await sleep(1100);
  const ok = await passwordGrant(USER.password);
  assert.equal(ok.status, 200, `the right password works once the period is over: ${ok.text}`);
});

test('password grant: an unknown user name is counted the same way (no enumeration by lockout)', async () => {
  for (let i = 0; i < 2; i++) assertEntraError(await passwordGrant('x', 'nobody@lockout.example'), { code: 50126 });
  assertEntraError(await passwordGrant('x', 'nobody@lockout.example'), { code: 50053 });
});

test('client secret: after 3 wrong secrets the client is locked (401 invalid_client AADSTS50053); other clients and users are not', async () => {
  assertEntraError(await secretGrant('nope-1'), { status: 401, error: 'invalid_client', code: 7000215 });
  assertEntraError(await secretGrant('nope-2'), { status: 401, error: 'invalid_client', code: 7000215 });
  assertEntraError(await secretGrant('nope-3'), { status: 401, error: 'invalid_client', code: 50053 });
  assertEntraError(await secretGrant(SECRET_APP.secret), { status: 401, error: 'invalid_client', code: 50053 }, 'the right secret while locked');
  assert.equal((await passwordGrant(USER.password)).status, 200, 'a user of the same tenant is not affected');
  await sleep(1100);
  const ok = await secretGrant(SECRET_APP.secret);
  assert.equal(ok.status, 200, ok.text);
});

test('a success resets the count', async () => {
  for (let round = 0; round < 3; round++) {
    assertEntraError(await secretGrant('bad-a'), { code: 7000215 });
    assertEntraError(await secretGrant('bad-b'), { code: 7000215 });
    assert.equal((await secretGrant(SECRET_APP.secret)).status, 200);
  }
});
