/**
 * A mirrored session as the Lua scripts return it (raw Redis replies, bytes kept exact) turned into
 * a `SessionRecord`; anything malformed is refused rather than half-rebuilt.
 */
import { Outbound } from '../../../transports/index.ts';
import { GROUP_ACTIONS } from '../../../messaging/index.ts';
import { parseSubprotocol, PROTOCOL_JSON_RELIABLE } from '../../../protocols/webpubsub/index.ts';
import type { PermissionChange, SessionRecord } from './types.ts';
import type { RawReply } from './redis-scripts.ts';

function text(v: Buffer | RawReply | undefined): string | undefined {
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
}

function list(v: Buffer | RawReply | undefined): Array<Buffer | RawReply> {
  return Array.isArray(v) ? v : [];
}

/** `parts` = [HGETALL meta, ZRANGE frames WITHSCORES, SMEMBERS groups, LRANGE permissions]. */
export function parseRecord(parts: Array<Buffer | RawReply>): SessionRecord | undefined {
  const meta = new Map<string, string>();
  const flat = list(parts[0]);
  for (let i = 0; i + 1 < flat.length; i += 2) meta.set(text(flat[i]) ?? '', text(flat[i + 1]) ?? '');
  const hub = meta.get('hub');
  const connectionId = meta.get('connectionId');
  const tokenHash = meta.get('token');
  const ceiling = Number(meta.get('ceiling'));
  if (!hub || !connectionId || !tokenHash || !Number.isSafeInteger(ceiling)) return undefined;
  let roles: unknown;
  try {
    roles = JSON.parse(meta.get('roles') ?? '[]');
  } catch {
    return undefined;
  }
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) return undefined;
  // Records written before protobuf sessions existed were all reliable JSON.
  const protocol = meta.get('protocol') ?? PROTOCOL_JSON_RELIABLE;
  const parsed = parseSubprotocol(protocol);
  if (!parsed?.reliable) return undefined;
  const binary = parsed.format === 'protobuf';
  const frames: SessionRecord['frames'] = [];
  const z = list(parts[1]);
  for (let i = 0; i + 1 < z.length; i += 2) {
    const bytes = z[i];
    const sequenceId = Number(text(z[i + 1]));
    if (!Buffer.isBuffer(bytes) || !Number.isSafeInteger(sequenceId)) return undefined;
    frames.push({ sequenceId, message: Outbound.of(bytes, binary) });
  }
  const permissionChanges: PermissionChange[] = [];
  for (const raw of list(parts[3])) {
    const change = parsePermissionChange(text(raw));
    if (!change) return undefined;
    permissionChanges.push(change);
  }
  return {
    hub,
    connectionId,
    userId: meta.has('user') ? meta.get('user') : undefined,
    roles: roles as string[],
    protocol,
    tokenHash,
    lastSequenceId: ceiling,
    frames,
    groups: list(parts[2]).map((g) => text(g) ?? '').filter((g) => g !== ''),
    permissionChanges,
  };
}

function parsePermissionChange(raw: string | undefined): PermissionChange | undefined {
  try {
    const v = JSON.parse(raw ?? '') as Partial<PermissionChange>;
    if ((v.change !== 'grant' && v.change !== 'revoke') || !GROUP_ACTIONS.includes(v.action!)) return undefined;
    if (v.group !== undefined && typeof v.group !== 'string') return undefined;
    return { change: v.change, action: v.action!, group: v.group };
  } catch {
    return undefined;
  }
}
