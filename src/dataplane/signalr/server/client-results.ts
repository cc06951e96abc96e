/**
 * Client results (`IHubContext.Clients.Client(id).InvokeAsync<T>`): the app sends ClientInvocation
 * with an invocation id; the client answers with a hub Completion carrying that id, which the SDK
 * expects back as ClientCompletion `[35, invocationId, connectionId, callerServerId, protocol,
 * <the framed completion>, {}]` on the server connection the invocation came on (observed with 1.34),
 * not as ConnectionData. So while a client has invocations pending, its bytes are split into hub
 * frames and the answering Completions are taken out; everything else is relayed unchanged. A client
 * that leaves with invocations pending answers each with ErrorCompletion.
 *
 * The SDK (1.34, `ServiceLifetimeManager.InvokeConnectionAsync`) writes the ClientInvocation first and
 * registers the pending invocation only after that write returns. A completion that arrives inside
 * that gap goes wrong in one of two ways (`CallerClientResultsManager.TryCompleteResult`): it is
 * parsed with the SDK's binder, which does not know the invocation yet, so the result is skipped and
 * read as null; then either the invocation is still unknown and the completion is dropped (the app
 * waited its 20 s out, seen once under load), or it has been registered meanwhile and completes with
 * null (`InvokeAsync<string>` returned "", seen under load). On loopback a quick client answers within
 * a millisecond, so:
 * - a completion is held until RESULT_HOLD_MS after its invocation arrived from the app (a client
 *   slower than that is not delayed at all), which closes the gap unless the app stalls longer;
 * - a completion that carries a result is sent again RESEND_AFTER_MS later, for an app that stalled:
 *   the SDK ignores a completion for an invocation it already completed, so the copy is harmless.
 *   Error completions are not repeated: with several endpoints the SDK counts one per endpoint, and a
 *   copy would be counted too.
 */
import { decodeJsonMessage, decodeMsgpackMessage, type HubProtocolName } from '../../../protocols/signalr/index.ts';
import { readVarIntPrefix } from '../../../protocols/signalr-service/index.ts';
import type { ServerConnection } from './server-connection.ts';

const RECORD_SEPARATOR = 0x1e;
/** Pending invocations per client; past it the oldest is answered with an error. */
const MAX_PENDING_PER_CLIENT = 1024;
/** How long after its invocation a completion may reach the app at the earliest (see above). */
export const RESULT_HOLD_MS = 50;
/** When a result completion is sent again after the first (see above): each copy costs one small frame. */
const RESEND_AFTER_MS = [100, 1000] as const;

interface Pending {
  server: ServerConnection;
  callerServerId: string;
  /** When the invocation arrived from the app (ms, monotonic). */
  at: number;
}

export class ClientResults {
  readonly #byClient = new Map<string, Map<string, Pending>>();
  readonly #holdMs: number;

  /** `holdMs`: RESULT_HOLD_MS unless a unit test wants completions at once. */
  constructor(options: { holdMs?: number } = {}) {
    this.#holdMs = options.holdMs ?? RESULT_HOLD_MS;
  }

  add(connectionId: string, invocationId: string, server: ServerConnection, callerServerId: string): void {
    let pending = this.#byClient.get(connectionId);
    if (!pending) this.#byClient.set(connectionId, (pending = new Map()));
    pending.set(invocationId, { server, callerServerId, at: performance.now() });
    if (pending.size > MAX_PENDING_PER_CLIENT) {
      const [oldest, p] = pending.entries().next().value as [string, Pending];
      pending.delete(oldest);
      this.#error(connectionId, oldest, p, 'Too many client invocations are pending for this connection.');
    }
  }

  /** The client's bytes without the Completions that answer pending invocations (those go to their app server). */
  intercept(connectionId: string, protocol: HubProtocolName, bytes: Buffer): Buffer {
    const pending = this.#byClient.get(connectionId);
    if (!pending || pending.size === 0) return bytes;
    const frames = split(protocol, bytes);
    if (!frames) return bytes; // not whole frames: relay as is
    const keep: Buffer[] = [];
    for (const f of frames) {
      const m = protocol === 'json' ? decodeJsonMessage(f.body) : decodeMsgpackMessage(f.body);
      const id = m !== null && typeof m === 'object' && 'type' in m && m.type === 3 ? m.invocationId : undefined;
      const p = id === undefined ? undefined : pending.get(id);
      if (id === undefined || !p) {
        keep.push(f.whole);
        continue;
      }
      pending.delete(id);
      // Copied: it is sent later, after the transport is done with its buffer.
      const completion = { kind: 'ClientCompletion', invocationId: id, connectionId, callerServerId: p.callerServerId, protocol, payload: Buffer.from(f.whole), ext: {} } as const;
      const resend = !(m !== null && typeof m === 'object' && 'error' in m && typeof m.error === 'string');
      const hold = Math.max(0, this.#holdMs - (performance.now() - p.at));
      const send = () => {
        p.server.send(completion);
        if (resend) for (const delay of RESEND_AFTER_MS) setTimeout(() => p.server.send(completion), delay).unref();
      };
      if (hold > 0) setTimeout(send, hold).unref();
      else send();
    }
    if (pending.size === 0) this.#byClient.delete(connectionId);
    return keep.length === frames.length ? bytes : Buffer.concat(keep);
  }

  /** The client is gone: every pending invocation fails. */
  clientGone(connectionId: string, reason: string): void {
    const pending = this.#byClient.get(connectionId);
    if (!pending) return;
    this.#byClient.delete(connectionId);
    for (const [id, p] of pending) this.#error(connectionId, id, p, reason);
  }

  #error(connectionId: string, invocationId: string, p: Pending, error: string): void {
    p.server.send({ kind: 'ErrorCompletion', invocationId, connectionId, callerServerId: p.callerServerId, error, ext: {} });
  }
}

interface Frame { whole: Buffer; body: Buffer }

/** Whole hub frames of `bytes`, or undefined when the chunk does not end on a frame boundary. */
function split(protocol: HubProtocolName, bytes: Buffer): Frame[] | undefined {
  const frames: Frame[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (protocol === 'json') {
      const end = bytes.indexOf(RECORD_SEPARATOR, offset);
      if (end < 0) return undefined;
      frames.push({ whole: bytes.subarray(offset, end + 1), body: bytes.subarray(offset, end) });
      offset = end + 1;
    } else {
      const prefix = readVarIntPrefix(bytes, offset);
      if (typeof prefix !== 'object' || !('length' in prefix)) return undefined;
      const end = offset + prefix.size + prefix.length;
      if (end > bytes.length) return undefined;
      frames.push({ whole: bytes.subarray(offset, end), body: bytes.subarray(offset + prefix.size, end) });
      offset = end;
    }
  }
  return frames;
}
