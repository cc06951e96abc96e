/**
 * Connections and messages per resource, read at scrape time from counters the resources keep
 * anyway (MessagingCore's connection count, its published and delivered counts, the SignalR
 * app-server count): nothing is added to the connect, send or fan-out paths by metrics itself.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** What a running resource exposes for metrics. */
export interface ResourceSource {
  /** The resource name (from the config or ARM; bounded by the number of resources). */
  name: string;
  kind: 'webpubsub' | 'signalr';
  /** The resource's MessagingCore: client connections on this node and its message counts. */
  core: { readonly connectionCount: number; readonly publishedCount: number; readonly deliveredCount: number };
  /** SignalR default mode: app-server connections to this resource on this node. */
  serverConnections?(): number;
}

export class ResourceMetrics {
  readonly #sources = new Set<ResourceSource>();

  constructor(registry: Registry) {
    const sources = this.#sources;
    new Gauge({
      name: 'lapis_connections',
      help: 'Open connections on this node, by resource and kind (webpubsub and signalr clients, signalr_server app-server connections).',
      labelNames: ['resource', 'kind'], registers: [registry],
      collect() {
        this.reset();
        for (const s of sources) {
          this.set({ resource: s.name, kind: s.kind }, s.core.connectionCount);
          if (s.serverConnections) this.set({ resource: s.name, kind: 'signalr_server' }, s.serverConnections());
        }
      },
    });
    new Counter({
      name: 'lapis_messages_received_total',
      help: 'Messages published into a resource through this node for fan-out (REST sends, client group messages, app-server sends): one per message, whatever the number of recipients.',
      labelNames: ['resource', 'kind'], registers: [registry],
      collect() {
        this.reset();
        for (const s of sources) this.inc({ resource: s.name, kind: s.kind }, s.core.publishedCount);
      },
    });
    new Counter({
      name: 'lapis_messages_sent_total',
      help: 'Messages handed to connections on this node: one per recipient connection (a broadcast to 100 clients counts 100).',
      labelNames: ['resource', 'kind'], registers: [registry],
      collect() {
        this.reset();
        for (const s of sources) this.inc({ resource: s.name, kind: s.kind }, s.core.deliveredCount);
      },
    });
  }

  /** Starts exposing a resource; the returned function stops (a resource deleted or stopped). */
  track(source: ResourceSource): () => void {
    this.#sources.add(source);
    return () => { this.#sources.delete(source); };
  }
}
