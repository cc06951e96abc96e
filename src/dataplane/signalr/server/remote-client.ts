/**
 * A client of another node of the cluster, served through this node (remote-relay.ts): what
 * AppServers holds in place of a RelaySession. The app's bytes and closes for it go to its node.
 */
import type { HubProtocolName } from '../../../protocols/signalr/index.ts';
import type { ClientConnectionInfo } from '../client/index.ts';
import type { AppRelay } from './relay-session.ts';
import type { RelayMessage } from './remote-messages.ts';

/** How a RemoteClient reaches its node, and tells its host it ended. */
export interface RemoteClientLink {
  toNode(node: string, message: RelayMessage): void;
  readonly host: { ended(relay: AppRelay, error: string | undefined): void };
}

/** A client of another node, served here: what AppServers holds in place of a RelaySession. */
export class RemoteClient implements AppRelay {
  readonly info: ClientConnectionInfo;
  readonly protocol: HubProtocolName;
  /** The client's node. */
  readonly node: string;
  readonly #relay: RemoteClientLink;
  #ended = false;

  constructor(info: ClientConnectionInfo, protocol: HubProtocolName, node: string, relay: RemoteClientLink) {
    this.info = info;
    this.protocol = protocol;
    this.node = node;
    this.#relay = relay;
  }

  /** The client an `open` from its node describes. */
  static fromOpen(m: Extract<RelayMessage, { op: 'open' }>, link: RemoteClientLink): RemoteClient {
    const info: ClientConnectionInfo = {
      hub: m.hub, connectionId: m.connectionId, query: m.meta.query, transport: m.meta.transport, requestHeaders: m.meta.headers,
      identity: { userId: m.meta.userId, claims: m.meta.claims },
    };
    return new RemoteClient(info, m.meta.protocol, m.meta.node, link);
  }

  get connectionId(): string {
    return this.info.connectionId;
  }

  /** The client's own node times out a silent client. */
  get lastReceived(): number {
    return Date.now();
  }

  fromApp(bytes: Uint8Array): void {
    if (this.#ended) return;
    this.#relay.toNode(this.node, { op: 'app', hub: this.info.hub, connectionId: this.connectionId, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  }

  close(error?: string, allowReconnect = false): void {
    this.#end('close', error, allowReconnect);
  }

  closeByApp(error: string | undefined): void {
    this.#end('closeByApp', error, false);
  }

  /** The client's node said the client is gone (or died): the app is told as for a local client. */
  gone(error: string | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#relay.host.ended(this, error);
  }

  #end(op: 'close' | 'closeByApp', error: string | undefined, allowReconnect: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#relay.toNode(this.node, { op, hub: this.info.hub, connectionId: this.connectionId, meta: { error, allowReconnect } });
    this.#relay.host.ended(this, error);
  }
}
