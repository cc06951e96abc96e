/**
 * The codec against the real thing: Microsoft.Azure.SignalR.Protocols 1.34.0 (the app server SDK's
 * own ServiceProtocol), run by the small console in dotnet-probe/. Every message the SDK writes
 * decodes here and re-encodes to the same bytes; every message Lapis encodes, of every kind, is read
 * by the SDK as the same message. Skips with the reason when dotnet or the NuGet feed is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceMessageReader, ServiceProtocolError, decodeServiceMessageBody, encodeServiceMessage, encodeServiceMessageBody, encodeServiceMessages, groupMemberQueryResponse } from '../../../src/protocols/signalr-service/index.ts';
import type { ServiceMessage } from '../../../src/protocols/signalr-service/index.ts';
import fc from 'fast-check';
import { SAMPLES, messageArb } from './samples.ts';
import { messageLikeBody } from './bodies.ts';
import { frame } from '../../../src/protocols/signalr-service/index.ts';

const PROJECT = join(dirname(fileURLToPath(import.meta.url)), 'dotnet-probe');

/** Builds the probe once per content hash into the temp folder; a reason string when it cannot. */
async function buildProbe(): Promise<{ dll: string } | string> {
  if (spawnSync('dotnet', ['--version'], { timeout: 30_000 }).status !== 0) return 'dotnet is not installed (needed to run the SDK\'s own service protocol)';
  const hash = createHash('sha256');
  for (const f of readdirSync(PROJECT).filter((n) => /\.(cs|csproj)$/.test(n)).sort()) hash.update(f).update(readFileSync(join(PROJECT, f)));
  const target = join(tmpdir(), 'lapis-service-protocol-probe', hash.digest('hex').slice(0, 16));
  const dll = join(target, 'out', 'ServiceProtocolProbe.dll');
  if (existsSync(dll)) return { dll };
  const staging = `${target}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  cpSync(PROJECT, join(staging, 'src'), { recursive: true, filter: (p) => !/[\\/](bin|obj)$/.test(p) });
  const built = await run(['build', join(staging, 'src'), '-c', 'Release', '-o', join(staging, 'out'), '--nologo'], '', 5 * 60_000);
  if (built.code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    const offline = /NU1301|NU1101|NU1102|Unable to load the service index/.test(built.out);
    return `${offline ? 'NuGet restore failed (feed unreachable?)' : 'dotnet build failed'}: ${built.out.split('\n').filter(Boolean).slice(-4).join(' | ')}`;
  }
  try { renameSync(staging, target); } catch { rmSync(staging, { recursive: true, force: true }); }
  return { dll };
}

function run(args: string[], stdin: string, timeout = 60_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('dotnet', args, { env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
    child.stdin.end(stdin);
  });
}

const probe = await buildProbe();
const skip = typeof probe === 'string' ? probe : false;
const b64 = (u: Uint8Array) => `b64:${Buffer.from(u).toString('base64')}`;

const CLASS_NAMES: Partial<Record<string, string>> = { Broadcast: 'BroadcastDataMessage', GroupBroadcast: 'GroupBroadcastDataMessage', MultiGroupBroadcast: 'MultiGroupBroadcastDataMessage' };
const PROPERTY_NAMES: Record<string, string> = {
  connectionIds: 'ConnectionList', userIds: 'UserList', groupNames: 'GroupList', excludedConnectionIds: 'ExcludedList',
  excludedUserIds: 'ExcludedUserList', objectType: 'Type', eventKind: 'Kind', dataMessageType: 'Type',
};

/** What the probe prints for a message the SDK read: class name and properties, in its JSON conventions. */
function sdkView(m: ServiceMessage): Record<string, unknown> {
  const view: Record<string, unknown> = { $type: CLASS_NAMES[m.kind] ?? `${m.kind}Message` };
  const fields: [string, unknown][] = Object.entries(m).filter(([k]) => k !== 'kind' && k !== 'ext');
  if ('ext' in m) fields.push(...Object.entries(m.ext));
  // 1.34 reads an explicit nil Ack payload as an empty sequence.
  if (m.kind === 'Ack' && m.payload === null) fields.push(['payload', new Uint8Array(0)]);
  for (const [key, value] of fields) {
    const name = PROPERTY_NAMES[key] ?? key[0]!.toUpperCase() + key.slice(1);
    view[name] = value instanceof Uint8Array ? b64(value)
      : value instanceof Date ? value.getTime()
      : typeof value === 'bigint' ? String(value)
      : value instanceof Map ? (key === 'headers' ? Object.fromEntries(value) : [...value].map(([k, v]: [string, Uint8Array]) => [k, b64(v)]))
      : key === 'claims' ? (value as { type: string; value: string }[]).map((c) => [c.type, c.value])
      : value;
  }
  return view;
}

test('every message the 1.34 SDK writes decodes here and re-encodes to the identical bytes', { skip, timeout: 120_000 }, async () => {
  const out = await run([(probe as { dll: string }).dll, 'write'], '');
  assert.equal(out.code, 0, out.out);
  const lines = out.out.trim().split('\n');
  assert.ok(lines.length >= 40, `${lines.length} vectors`);
  const kinds = new Set<string>();
  for (const line of lines) {
    const [name, base64] = line.split('\t') as [string, string];
    const body = Buffer.from(base64, 'base64');
    const decoded = decodeServiceMessageBody(body);
    assert.ok(decoded && !(decoded instanceof ServiceProtocolError), `${name}: ${String(decoded)}`);
    assert.equal(decoded.kind, name.replace(/WithPayload$/, ''), name);
    kinds.add(decoded.kind);
    assert.equal(Buffer.from(encodeServiceMessageBody(decoded)).toString('base64'), base64, `${name} re-encoded`);
  }
  assert.deepEqual([...kinds].sort(), Object.keys(SAMPLES).sort(), 'the SDK wrote every kind');
});

test('the 1.34 SDK reads every message Lapis encodes as the same message, alone and all in one stream', { skip, timeout: 120_000 }, async () => {
  const samples = Object.values(SAMPLES).map((s) => s.message);
  const input = [...samples.map((m) => Buffer.from(encodeServiceMessage(m)).toString('base64')), Buffer.from(encodeServiceMessages(samples)).toString('base64')];
  const out = await run([(probe as { dll: string }).dll, 'read'], input.join('\n') + '\n');
  assert.equal(out.code, 0, out.out);
  const lines = out.out.trim().split('\n').map((l) => JSON.parse(l) as unknown[]);
  assert.equal(lines.length, samples.length + 1);
  const check = (got: unknown, m: ServiceMessage) => {
    assert.equal(typeof got, 'object', `${m.kind}: ${JSON.stringify(got)}`);
    const actual = got as Record<string, unknown>;
    for (const [prop, value] of Object.entries(sdkView(m))) assert.deepEqual(actual[prop], value, `${m.kind}.${prop} as the SDK read it`);
  };
  samples.forEach((m, i) => {
    assert.equal(lines[i]!.length, 1, `${m.kind}: ${JSON.stringify(lines[i])}`);
    check(lines[i]![0], m);
  });
  const stream = lines[samples.length]!;
  assert.equal(stream.length, samples.length, JSON.stringify(stream.filter((x) => typeof x === 'string')));
  samples.forEach((m, i) => check(stream[i], m));
});

test('the 1.34 SDK reads an Ack payload; an explicit nil payload becomes an empty (not null) Payload there', { skip, timeout: 60_000 }, async () => {
  const base = { kind: 'Ack' as const, ackId: 3, status: 1, message: '', ext: {} };
  const input = [{ ...base, payload: Uint8Array.of(9, 8) }, { ...base, payload: null }, base]
    .map((m) => Buffer.from(encodeServiceMessage(m)).toString('base64')).join('\n');
  const out = await run([(probe as { dll: string }).dll, 'read'], input + '\n');
  const payloads = out.out.trim().split('\n').map((l) => (JSON.parse(l) as { Payload: unknown }[])[0]!.Payload);
  assert.deepEqual(payloads, ['b64:CQg=', 'b64:', null]);
});

test('the 1.34 SDK reads Lapis\'s GroupMemberQuery answers (Ack payload) as GroupMemberQueryResponse', { skip, timeout: 60_000 }, async () => {
  const pages = [
    groupMemberQueryResponse([{ connectionId: 'c1', userId: 'alice' }, { connectionId: 'c2' }], 'c2'),
    groupMemberQueryResponse([], null),
  ];
  const out = await run([(probe as { dll: string }).dll, 'groupmembers'], pages.map((p) => Buffer.from(p).toString('base64')).join('\n') + '\n');
  assert.equal(out.code, 0, out.out);
  assert.deepEqual(out.out.trim().split('\n').map((l) => JSON.parse(l) as unknown), [
    { members: [['c1', 'alice'], ['c2', null]], continuationToken: 'c2' },
    { members: [], continuationToken: null },
  ]);
});

/**
 * Differential run: thousands of random message-shaped bodies (fixed seeds, so CI is repeatable),
 * each read by Lapis and by the SDK. Both must accept the same ones, as the same message, and refuse
 * the same ones. Extension member numbers are drawn from unknown ones (0, 7-9): for a known number on
 * a message type that does not carry that member, 1.34 leaves the value unread and misreads what
 * follows, which Lapis does not imitate (it skips the member).
 */
test('differential: Lapis and the 1.34 SDK accept and refuse the same random bodies, as the same messages', { skip, timeout: 180_000 }, async () => {
  const arb = messageLikeBody({ intKeys: fc.constantFrom(0, 7, 8, 9), integers: fc.integer({ min: -70000, max: 70000 }), maxTypes: 44 });
  // Plus valid messages (extension maps emptied, see above) with one or two bytes changed: near misses.
  const mutated = fc.tuple(messageArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 2 }))
    .map(([m, edits]) => {
      const body = encodeServiceMessageBody('ext' in m ? { ...m, ext: {} } : m).slice();
      for (const [at, value] of edits) body[at % body.length] = value;
      return body;
    });
  const bodies = [...[11, 22, 33].flatMap((seed) => fc.sample(arb, { numRuns: 3000, seed })), ...fc.sample(mutated, { numRuns: 4000, seed: 44 })];
  const out = await run([(probe as { dll: string }).dll, 'read'], bodies.map((body) => Buffer.from(frame(body)).toString('base64')).join('\n') + '\n');
  assert.equal(out.code, 0, out.out.slice(-500));
  const sdk = out.out.trim().split('\n').map((l) => JSON.parse(l) as unknown[]);
  assert.equal(sdk.length, bodies.length);
  let accepted = 0;
  bodies.forEach((body, i) => {
    const ours = decodeServiceMessageBody(body);
    const theirs = sdk[i]![0];
    const where = `body ${Buffer.from(body).toString('base64')}: Lapis ${ours instanceof ServiceProtocolError ? ours.toString() : JSON.stringify(ours?.kind ?? null)}, SDK ${JSON.stringify(theirs)}`;
    if (ours instanceof ServiceProtocolError) return assert.ok(typeof theirs === 'string' && theirs.startsWith('ERROR'), where);
    if (ours === null) return assert.equal(theirs, null, where);
    assert.equal(typeof theirs, 'object', where);
    accepted++;
    for (const [prop, value] of Object.entries(sdkView(ours))) {
      const got = (theirs as Record<string, unknown>)[prop];
      // Lapis reads a nil or absent handshake target as "" (what the SDK's writer sends for it).
      if (ours.kind === 'HandshakeRequest' && prop === 'Target' && got === null && value === '') continue;
      assert.deepEqual(got, value, `${where} (${prop})`);
    }
  });
  assert.ok(accepted > 1000, `${accepted} bodies accepted by both`);
});

test('framing: the 1.34 parser refuses the same length prefixes and reads a non-minimal one', { skip, timeout: 60_000 }, async () => {
  const streams = [[0xff, 0xff, 0xff, 0xff, 0x08], [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [0x82, 0x00, 0x91, 0x03]].map((s) => Uint8Array.from(s));
  const out = await run([(probe as { dll: string }).dll, 'read'], streams.map((s) => Buffer.from(s).toString('base64')).join('\n') + '\n');
  const sdk = out.out.trim().split('\n').map((l) => JSON.parse(l) as unknown[]);
  for (const [i, stream] of streams.entries()) {
    const ours = new ServiceMessageReader({ maxMessageBytes: 2 ** 31 }).push(stream);
    if (i < 2) {
      assert.equal(ours.error?.code, 'InvalidFraming');
      assert.match(String(sdk[i]![0]), /Messages over 2GB in size are not supported/);
    } else {
      assert.deepEqual(ours.messages, [{ kind: 'Ping', messages: [] }]);
      assert.deepEqual(sdk[i], [{ $type: 'PingMessage', Messages: [] }]);
    }
  }
});
