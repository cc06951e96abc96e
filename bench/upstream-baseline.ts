/**
 * The upstream row's baseline: a bare HTTP client driving the same event handler with the same
 * requests Lapis sends (CloudEvents binary mode: connect, then `messages` user events, then
 * disconnected, per simulated connection, one request at a time per lane), closed-loop.
 * The client is Node's built-in `fetch`, which is undici (the `undici` package itself is not
 * installed here; `fetch` is its bundled copy with its default keep-alive agent).
 *   node bench/upstream-baseline.ts '{"base":"http://127.0.0.1:P/upstream","lanes":64,"messages":8,"warmMs":500,"measureMs":2000,"hub":"upstream"}'
 * runs one round and prints one JSON line `{"rate":n,"roundTrips":n,"secs":s,"errors":n,"firstError":…}`.
 * Started without an argument and with an IPC channel (bench/upstream-workload.ts), it stays up and
 * runs one round per message `{rid, …the same options}`, answering `{rid, …the same result}`: one
 * process for all the rounds of a run, as Lapis is one process for its rounds (its keep-alive
 * sockets and compiled code carry over from round to round on both sides).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { BENCH_KEYS } from './lib/servers.ts';

interface Options {
  base: string;
  lanes: number;
  messages: number;
  warmMs: number;
  measureMs: number;
  hub: string;
}

interface RoundResult {
  rate: number;
  roundTrips: number;
  secs: number;
  errors: number;
  firstError?: string;
}

let id = 0;

/** `ce-signature` for a connection (both keys), computed once per connection as Lapis does. */
function signatureOf(connectionId: string): string {
  return [BENCH_KEYS.primaryKey, BENCH_KEYS.secondaryKey]
    .map((k) => `sha256=${createHmac('sha256', Buffer.from(k, 'utf8')).update(connectionId, 'utf8').digest('hex')}`).join(',');
}

function headers(hub: string, type: string, event: string, connectionId: string, signature: string, user: string, contentType: string): Record<string, string> {
  // As Lapis sends them (src/upstream/cloudevents.ts).
  return {
    'Content-Type': contentType,
    'ce-specversion': '1.0',
    'ce-awpsversion': '1.0',
    'ce-type': type,
    'ce-source': `/hubs/${hub}/client/${connectionId}`,
    'ce-id': String(++id),
    'ce-time': new Date().toISOString(),
    'ce-hub': hub,
    'ce-connectionId': connectionId,
    'ce-eventName': event,
    'ce-signature': signature,
    'WebHook-Request-Origin': '127.0.0.1',
    'ce-userId': user,
  };
}

async function round(o: Options): Promise<RoundResult> {
  const HUB = o.hub;
  let counting = false;
  let roundTrips = 0;
  let errors = 0;
  let firstError: string | undefined;
  let stop = false;

  const post = async (event: string, type: string, connectionId: string, signature: string, user: string, contentType: string, body: string): Promise<void> => {
    try {
      const res = await fetch(`${o.base}/${event}`, { method: 'POST', headers: headers(HUB, type, event, connectionId, signature, user, contentType), body });
      await res.arrayBuffer();
      if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
      if (counting) roundTrips++;
    } catch (err) {
      errors++;
      firstError ??= (err as Error).message;
    }
  };

  const lane = async (k: number): Promise<void> => {
    for (let n = 0; !stop; n++) {
      const connectionId = randomUUID();
      const signature = signatureOf(connectionId);
      const user = `u${k}`;
      const claims = { aud: [`http://127.0.0.1/client/hubs/${HUB}`], sub: [user], role: ['webpubsub.joinLeaveGroup'], iat: ['0'], exp: ['0'] };
      await post('connect', 'azure.webpubsub.sys.connect', connectionId, signature, user, 'application/json; charset=utf-8',
        JSON.stringify({ claims, query: { access_token: ['x'] }, headers: {}, subprotocols: ['json.webpubsub.azure.v1'], clientCertificates: [] }));
      // The first connection of lane k sends k mod (messages + 1) events, as the Lapis lanes do (phases spread).
      const count = n === 0 ? k % (o.messages + 1) : o.messages;
      for (let m = 0; m < count && !stop; m++) await post('message', 'azure.webpubsub.user.message', connectionId, signature, user, 'text/plain; charset=utf-8', `m${m}`);
      await post('disconnected', 'azure.webpubsub.sys.disconnected', connectionId, signature, user, 'application/json; charset=utf-8', '{"reason":""}');
    }
  };

  const lanes = Array.from({ length: o.lanes }, (_, k) => lane(k));
  await new Promise((r) => setTimeout(r, o.warmMs));
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, o.measureMs));
  counting = false;
  const secs = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(lanes);
  return { rate: roundTrips / secs, roundTrips, secs, errors, firstError };
}

if (process.argv[2]) {
  process.stdout.write(`${JSON.stringify(await round(JSON.parse(process.argv[2]) as Options))}\n`);
  process.exit(0);
} else if (process.send) {
  process.on('message', (m: Options & { rid: number }) => {
    round(m).then(
      (r) => process.send!({ rid: m.rid, ...r }),
      (err: Error) => process.send!({ rid: m.rid, error: err.message }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
} else {
  process.stderr.write('usage: node bench/upstream-baseline.ts \'{"base":…,"lanes":64,"messages":8,"warmMs":500,"measureMs":2000,"hub":"upstream"}\' (or with an IPC channel)\n');
  process.exit(2);
}
