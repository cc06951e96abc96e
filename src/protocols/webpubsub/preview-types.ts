/**
 * Preview message types of @azure/web-pubsub-client 1.1.0 (invocations, client streams) that this
 * server does not implement: each gets the error answer the SDK understands, never a close.
 */
import type { Outbound } from '../../transports/index.ts';
import { controlFrame } from './encode.ts';

/** The answer to a preview message: a frame, `null` for nothing, `undefined` when `type` is not one. */
export function previewReply(m: Record<string, unknown>): Outbound | null | undefined {
  switch (m.type) {
    case 'invoke':
      return controlFrame({
        type: 'invokeResponse',
        invocationId: m.invocationId,
        success: false,
        error: { name: 'InvocationFailed', message: 'Invocations are not supported by this server.' },
      });
    case 'cancelInvocation':
      return null;
    case 'streamData':
    case 'streamEnd':
      return streamClosed(m.streamId, 'StreamNotFound');
    default:
      return undefined;
  }
}

export function streamClosed(streamId: unknown, name: 'StreamNotFound' | 'BadRequest'): Outbound {
  return controlFrame({ type: 'streamClosed', streamId, error: { name, message: 'Streams are not supported by this server.' } });
}
