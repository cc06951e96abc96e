/**
 * A Web PubSub protobuf-subprotocol client for tests, written from Azure's .proto (there is no
 * official JS protobuf client): `protobuf.webpubsub.azure.v1` or, with `reliable: true`,
 * `protobuf.reliable.webpubsub.azure.v1` (it tracks sequence ids, can ack them and reconnect).
 *
 *   const c = await protobufClient(url, { reliable: true });
 *   const { connectionId } = await c.connected;
 *   await c.joinGroup('g', 1);                        // resolves with the AckMessage for ackId 1
 *   c.sendToGroup('g', text('hi'), { ackId: 2, noEcho: true });
 *   const m = await c.nextData((d) => d.group === 'g'); // DataMessage
 *   c.sequenceAck();                                   // acks the highest sequence id seen
 *   c.ws.terminate(); const again = await c.reconnect(); // resumes with awps_connection_id/token
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { anyPack, AnySchema } from '@bufbuild/protobuf/wkt';
import type { Any } from '@bufbuild/protobuf/wkt';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { WebSocket } from 'ws';
import {
  DownstreamMessageSchema,
  UpstreamMessageSchema,
} from '../../src/protocols/webpubsub/protobuf/gen/webpubsub.client_pb.ts';
import type {
  DownstreamMessage,
  DownstreamMessage_AckMessage,
  DownstreamMessage_DataMessage,
  MessageDataSchema,
} from '../../src/protocols/webpubsub/protobuf/gen/webpubsub.client_pb.ts';

export const PROTOBUF = 'protobuf.webpubsub.azure.v1';
export const PROTOBUF_RELIABLE = 'protobuf.reliable.webpubsub.azure.v1';

export type Data = MessageInitShape<typeof MessageDataSchema>;
export const text = (value: string): Data => ({ data: { case: 'textData', value } });
export const binary = (value: Uint8Array): Data => ({ data: { case: 'binaryData', value } });
export const json = (value: unknown): Data => ({ data: { case: 'jsonData', value: JSON.stringify(value) } });
export const protobuf = <D extends DescMessage>(schema: D, message: MessageInitShape<D>): Data =>
  ({ data: { case: 'protobufData', value: anyPack(schema, create(schema, message)) } });
/** The encoded bytes of an Any (what JSON and plain clients receive, base64 / raw). */
export const anyBytes = (a: Any): Buffer => Buffer.from(toBinary(AnySchema, a));

export interface Connected {
  connectionId: string;
  userId: string;
  reconnectionToken: string | undefined;
}

export interface ProtobufClient {
  readonly ws: WebSocket;
  readonly url: string;
  readonly protocol: string;
  /** Every decoded downstream message, in order. */
  readonly messages: DownstreamMessage[];
  /** Undecodable frames and text frames (a conforming service sends none). */
  readonly rejects: Buffer[];
  readonly connected: Promise<Connected>;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Highest `sequence_id` seen on a data message (reliable). */
  readonly lastSequenceId: number;
  next(predicate?: (m: DownstreamMessage) => boolean, timeoutMs?: number): Promise<DownstreamMessage>;
  nextData(predicate?: (m: DownstreamMessage_DataMessage) => boolean, timeoutMs?: number): Promise<DownstreamMessage_DataMessage>;
  /** Waits for the ack of `ackId` (already received or to come). */
  ack(ackId: number, timeoutMs?: number): Promise<DownstreamMessage_AckMessage>;
  send(message: MessageInitShape<typeof UpstreamMessageSchema>): void;
  sendRaw(bytes: Uint8Array): void;
  joinGroup(group: string, ackId?: number): Promise<DownstreamMessage_AckMessage> | undefined;
  leaveGroup(group: string, ackId?: number): Promise<DownstreamMessage_AckMessage> | undefined;
  sendToGroup(group: string, data: Data, opts?: { ackId?: number; noEcho?: boolean }): Promise<DownstreamMessage_AckMessage> | undefined;
  sendEvent(event: string, data: Data, ackId?: number): Promise<DownstreamMessage_AckMessage> | undefined;
  /** Acknowledges every sequence id up to `sequenceId` (default: the highest seen). */
  sequenceAck(sequenceId?: number): void;
  ping(): void;
  /** A new socket resuming this reliable connection (`awps_connection_id` + reconnection token). */
  reconnect(): Promise<ProtobufClient>;
}

export interface ProtobufClientOptions {
  reliable?: boolean;
  /** Subprotocols to offer instead of the protobuf one (e.g. to test negotiation). */
  protocols?: string[];
  headers?: Record<string, string>;
}

export function protobufClient(url: string, opts: ProtobufClientOptions = {}): Promise<ProtobufClient> {
  return open(url, opts, undefined);
}

function open(url: string, opts: ProtobufClientOptions, resumed: Connected | undefined): Promise<ProtobufClient> {
  const offered = opts.protocols ?? [opts.reliable ? PROTOBUF_RELIABLE : PROTOBUF];
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, offered, { headers: opts.headers, perMessageDeflate: false });
    const messages: DownstreamMessage[] = [];
    const rejects: Buffer[] = [];
    const waiters: Array<{ p: (m: DownstreamMessage) => boolean; resolve: (m: DownstreamMessage) => void }> = [];
    let cursor = 0;
    let lastSequenceId = 0;
    let onConnected!: (c: Connected) => void;
    const connected = new Promise<Connected>((r) => (onConnected = r));
    // A resumed socket gets no new `connected`: it keeps the connection's identity.
    if (resumed) onConnected(resumed);
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        rejects.push(data);
        return;
      }
      let m: DownstreamMessage;
      try {
        m = fromBinary(DownstreamMessageSchema, data);
      } catch {
        rejects.push(data);
        return;
      }
      messages.push(m);
      if (m.message.case === 'dataMessage' && m.message.value.sequenceId !== undefined) {
        lastSequenceId = Math.max(lastSequenceId, Number(m.message.value.sequenceId));
      }
      if (m.message.case === 'systemMessage' && m.message.value.message.case === 'connectedMessage') {
        const c = m.message.value.message.value;
        onConnected({ connectionId: c.connectionId, userId: c.userId, reconnectionToken: c.reconnectionToken });
      }
      for (const w of [...waiters]) {
        if (w.p(m)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    const next = (p: (m: DownstreamMessage) => boolean = () => true, timeoutMs = 3000): Promise<DownstreamMessage> => {
      for (let i = cursor; i < messages.length; i++) {
        if (p(messages[i]!)) {
          cursor = i + 1;
          return Promise.resolve(messages[i]!);
        }
      }
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error('timed out waiting for a protobuf message')), timeoutMs);
        waiters.push({ p, resolve: (m) => { clearTimeout(t); cursor = messages.length; res(m); } });
      });
    };
    const ofCase = <T>(c: DownstreamMessage['message']['case'], p: (v: T) => boolean) =>
      (m: DownstreamMessage) => m.message.case === c && p(m.message.value as T);
    // Acks are matched over everything received (each one once), apart from the `next` cursor.
    const usedAcks = new Set<DownstreamMessage>();
    const ack = (ackId: number, timeoutMs = 3000): Promise<DownstreamMessage_AckMessage> => {
      const wanted = (m: DownstreamMessage) => !usedAcks.has(m) && m.message.case === 'ackMessage' && m.message.value.ackId === BigInt(ackId);
      const take = (m: DownstreamMessage) => {
        usedAcks.add(m);
        return m.message.value as DownstreamMessage_AckMessage;
      };
      const seen = messages.find(wanted);
      if (seen) return Promise.resolve(take(seen));
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`timed out waiting for the ack of ${ackId}`)), timeoutMs);
        waiters.push({ p: wanted, resolve: (m) => { clearTimeout(t); res(take(m)); } });
      });
    };
    const send = (message: MessageInitShape<typeof UpstreamMessageSchema>) =>
      ws.send(toBinary(UpstreamMessageSchema, create(UpstreamMessageSchema, message)));
    const acked = (ackId: number | undefined) => (ackId === undefined ? undefined : ack(ackId));
    const big = (n: number | undefined) => (n === undefined ? undefined : BigInt(n));
    ws.once('open', () => {
      const client: ProtobufClient = {
        ws, url, protocol: ws.protocol, messages, rejects, connected, closed,
        get lastSequenceId() {
          return lastSequenceId;
        },
        next,
        nextData: async (p = () => true, timeoutMs) =>
          (await next(ofCase<DownstreamMessage_DataMessage>('dataMessage', p), timeoutMs)).message.value as DownstreamMessage_DataMessage,
        ack,
        send,
        sendRaw: (bytes) => ws.send(bytes),
        joinGroup: (group, ackId) => {
          send({ message: { case: 'joinGroupMessage', value: { group, ackId: big(ackId) } } });
          return acked(ackId);
        },
        leaveGroup: (group, ackId) => {
          send({ message: { case: 'leaveGroupMessage', value: { group, ackId: big(ackId) } } });
          return acked(ackId);
        },
        sendToGroup: (group, data, o = {}) => {
          send({ message: { case: 'sendToGroupMessage', value: { group, data, ackId: big(o.ackId), noEcho: o.noEcho } } });
          return acked(o.ackId);
        },
        sendEvent: (event, data, ackId) => {
          send({ message: { case: 'eventMessage', value: { event, data, ackId: big(ackId) } } });
          return acked(ackId);
        },
        sequenceAck: (sequenceId = lastSequenceId) =>
          send({ message: { case: 'sequenceAckMessage', value: { sequenceId: BigInt(sequenceId) } } }),
        ping: () => send({ message: { case: 'pingMessage', value: {} } }),
        reconnect: async () => {
          const c = await connected;
          const u = new URL(url);
          u.searchParams.set('awps_connection_id', c.connectionId);
          u.searchParams.set('awps_reconnection_token', c.reconnectionToken ?? '');
          return open(u.toString(), opts, c);
        },
      };
      resolve(client);
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body.trim()}`), { status: res.statusCode, body })));
    });
    ws.once('error', reject);
  });
}

/** The payload of a received DataMessage in plain terms, for assertions. */
export function dataOf(m: DownstreamMessage_DataMessage): { case: string | undefined; value: unknown } {
  const d = m.data?.data;
  return { case: d?.case, value: d?.value };
}

export type { DownstreamMessage, DownstreamMessage_AckMessage, DownstreamMessage_DataMessage, MessageShape };
