/** Small type guards shared by the JSON and MessagePack decoders. */
import { HubProtocolError } from './errors.ts';
import type { HubHeaders } from './types.ts';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** Headers are a string → string map; a missing map (or nil) means none. */
export function readHeaders(value: unknown, messageName: string): HubHeaders | undefined | HubProtocolError {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) return invalid(`Invalid headers for ${messageName} message.`);
  for (const key of Object.keys(value)) {
    if (typeof value[key] !== 'string') return invalid(`Invalid headers for ${messageName} message.`);
  }
  const keys = Object.keys(value);
  return keys.length === 0 ? undefined : (value as HubHeaders);
}

export function isSequenceId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function invalid(detail: string): HubProtocolError {
  return new HubProtocolError('InvalidMessage', detail);
}

/** Message type names for error texts. */
export const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'Invocation',
  2: 'StreamItem',
  3: 'Completion',
  4: 'StreamInvocation',
  5: 'CancelInvocation',
  6: 'Ping',
  7: 'Close',
  8: 'Ack',
  9: 'Sequence',
};
