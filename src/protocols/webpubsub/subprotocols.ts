/** The four PubSub subprotocols of Azure Web PubSub (plain WebSocket clients offer none of them). */
export const PROTOCOL_JSON = 'json.webpubsub.azure.v1';
export const PROTOCOL_JSON_RELIABLE = 'json.reliable.webpubsub.azure.v1';
export const PROTOCOL_PROTOBUF = 'protobuf.webpubsub.azure.v1';
export const PROTOCOL_PROTOBUF_RELIABLE = 'protobuf.reliable.webpubsub.azure.v1';

export type PubSubFormat = 'json' | 'protobuf';

export function subprotocolName(format: PubSubFormat, reliable: boolean): string {
  if (format === 'json') return reliable ? PROTOCOL_JSON_RELIABLE : PROTOCOL_JSON;
  return reliable ? PROTOCOL_PROTOBUF_RELIABLE : PROTOCOL_PROTOBUF;
}

/** The format and reliability of a subprotocol name (case-insensitive), undefined for any other. */
export function parseSubprotocol(name: string): { format: PubSubFormat; reliable: boolean } | undefined {
  switch (name.toLowerCase()) {
    case PROTOCOL_JSON: return { format: 'json', reliable: false };
    case PROTOCOL_JSON_RELIABLE: return { format: 'json', reliable: true };
    case PROTOCOL_PROTOBUF: return { format: 'protobuf', reliable: false };
    case PROTOCOL_PROTOBUF_RELIABLE: return { format: 'protobuf', reliable: true };
    default: return undefined;
  }
}
