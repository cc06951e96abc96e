/**
 * What a client waiting for an invocation's result gets from the upstream's answer (reference
 * §3.2, the emulator's behaviour, which the Functions extension is built against):
 *   200 with a body → the body is an already framed Completion in the client's protocol, forwarded
 *                     as is (after checking it is whole, well-formed hub messages holding this
 *                     invocation's Completion: a broken body would break the client's stream or
 *                     leave it waiting, so it becomes an error Completion instead);
 *   200 empty / 204 → a Completion without result;
 *   any other status → a Completion with error `Invocation failed, status code <n>`.
 */
import { HubMessageReader } from '../../protocols/signalr/index.ts';
import type { CompletionMessage, HubProtocolName } from '../../protocols/signalr/index.ts';

/** Largest upstream answer to an invocation (the emulator's limit). */
export const MAX_INVOCATION_RESPONSE_BYTES = 16 * 1024 * 1024;

export type InvocationReply = { framed: Buffer } | { completion: CompletionMessage };

export function errorCompletion(invocationId: string, error: string): CompletionMessage {
  return { type: 3, invocationId, resultKind: 'error', error };
}

export function invocationReply(protocol: HubProtocolName, invocationId: string, status: number, body: Buffer): InvocationReply {
  if (status === 204 || (status === 200 && body.length === 0)) return { completion: { type: 3, invocationId, resultKind: 'void' } };
  if (status !== 200) return { completion: errorCompletion(invocationId, `Invocation failed, status code ${status}`) };
  const problem = framingProblem(protocol, body, invocationId);
  if (problem) return { completion: errorCompletion(invocationId, `Invocation failed, the upstream response is not a framed ${protocol === 'json' ? 'JSON' : 'MessagePack'} hub message (${problem})`) };
  return { framed: body };
}

/**
 * Why `body` is not whole hub messages of `protocol` including this invocation's Completion, or
 * undefined when it is (without that Completion the client would wait for ever).
 */
function framingProblem(protocol: HubProtocolName, body: Buffer, invocationId: string): string | undefined {
  const reader = new HubMessageReader(protocol, { maxMessageBytes: MAX_INVOCATION_RESPONSE_BYTES });
  const { frames, error } = reader.push(Buffer.from(body), false);
  if (error) return error.detail.slice(0, 200);
  if (reader.pendingBytes > 0) return 'incomplete message';
  if (!frames.some((f) => f.message.type === 3 && f.message.invocationId === invocationId)) return `no Completion for invocation '${invocationId.slice(0, 64)}'`;
  return undefined;
}
