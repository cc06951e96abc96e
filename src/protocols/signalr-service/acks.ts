/**
 * Acks and the service's own messages to the app server. Every `*WithAck` message (and the query
 * messages 40-42) needs an Ack with its ack id, also from an endpoint where the connection, user or
 * group does not exist (status NotFound): the SDK sends group operations to every endpoint and
 * waits 10 s for each ack before throwing.
 */
import { ACK_STATUS } from './types.ts';
import type { AckMessage, AckableMessage, Claim, Headers, OpenConnectionMessage, ServiceMessage } from './types.ts';

/** The ack id the sender waits on, or undefined for messages that are not acknowledged. */
export function ackIdOf(message: ServiceMessage): number | undefined {
  return message.kind !== 'Ack' && 'ackId' in message ? message.ackId : undefined;
}

export function isAckable(message: ServiceMessage): message is AckableMessage {
  return ackIdOf(message) !== undefined;
}

/** An Ack in the 5-element form (no payload) unless `payload` is given. */
export function ackMessage(ackId: number, status: number = ACK_STATUS.Ok, message = '', payload?: Uint8Array): AckMessage {
  return payload === undefined
    ? { kind: 'Ack', ackId, status, message, ext: {} }
    : { kind: 'Ack', ackId, status, message, ext: {}, payload };
}

export interface OpenConnectionArgs {
  connectionId: string;
  claims: Claim[];
  headers: Headers;
  /** The client's query string, starting with "?" (the SDK takes asrs.op, asrs_request_id... from it). */
  queryString: string;
  /** The client's hub protocol ("json", "messagepack"): required, the SDK picks its protocol from it. */
  protocol: string;
  tracingId?: bigint;
}

/** OpenConnection with the protocol extension member the SDK requires. */
export function openConnectionMessage(args: OpenConnectionArgs): OpenConnectionMessage {
  const ext = args.tracingId === undefined ? { protocol: args.protocol } : { tracingId: args.tracingId, protocol: args.protocol };
  return { kind: 'OpenConnection', connectionId: args.connectionId, claims: args.claims, headers: args.headers, queryString: args.queryString, ext };
}
