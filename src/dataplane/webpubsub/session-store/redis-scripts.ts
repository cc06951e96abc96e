/**
 * Lua scripts that move a mirrored session from one node to another atomically: whoever claims a
 * session first (a recovering client's node, or the node adopting a dead node's sessions) owns it,
 * and every other attempt sees the new owner alive. A node is alive while its backplane heartbeat
 * key exists (standalone Redis lets scripts build key names, as the backplane's scripts do).
 */
import type { Redis } from 'ioredis';

const READ_RECORD = `
local function record(meta, f, g, p)
  return {redis.call('HGETALL', meta), redis.call('ZRANGE', f, 0, -1, 'WITHSCORES'), redis.call('SMEMBERS', g), redis.call('LRANGE', p, 0, -1)}
end`;

/**
 * A recovery handshake: the session becomes this node's when its token matches and its owner is
 * this node, released, or dead. KEYS: meta, frames, groups, permissions, this node's owned set,
 * owners. ARGV: node prefix, this node, owned-set prefix, member, token hash, ttl ms.
 */
const CLAIM = `${READ_RECORD}
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then return {'unknown'} end
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[5] then return {'unknown'} end
if owner ~= ARGV[2] and redis.call('EXISTS', ARGV[1] .. owner) == 1 then return {'live', owner} end
if owner ~= ARGV[2] then redis.call('SREM', ARGV[3] .. owner, ARGV[4]) end
redis.call('HSET', KEYS[1], 'owner', ARGV[2])
redis.call('SADD', KEYS[5], ARGV[4])
redis.call('SADD', KEYS[6], ARGV[2])
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[6]) end
local r = record(KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return {'claimed', r[1], r[2], r[3], r[4]}`;

/**
 * Takes over one session of a dead node (none when the node is alive again or owns nothing).
 * KEYS: the dead node's owned set, this node's owned set, owners. ARGV: node prefix, dead node,
 * this node, meta prefix, frames prefix, groups prefix, permissions prefix, ttl ms.
 */
const ADOPT = `${READ_RECORD}
if redis.call('EXISTS', ARGV[1] .. ARGV[2]) == 1 then return {'alive'} end
while true do
  local m = redis.call('SPOP', KEYS[1])
  if not m then
    redis.call('SREM', KEYS[3], ARGV[2])
    return {'empty'}
  end
  local meta, f, g, p = ARGV[4] .. m, ARGV[5] .. m, ARGV[6] .. m, ARGV[7] .. m
  if redis.call('HGET', meta, 'owner') == ARGV[2] then
    redis.call('HSET', meta, 'owner', ARGV[3])
    redis.call('SADD', KEYS[2], m)
    redis.call('SADD', KEYS[3], ARGV[3])
    for _, k in ipairs({meta, f, g, p}) do redis.call('PEXPIRE', k, ARGV[8]) end
    local r = record(meta, f, g, p)
    return {'adopted', r[1], r[2], r[3], r[4]}
  end
end`;

/** Owners of a resource's sessions whose heartbeat expired (this node left out). KEYS: owners. ARGV: node prefix, this node. */
const DEAD_OWNERS = `
local dead = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[2] and redis.call('EXISTS', ARGV[1] .. id) == 0 then table.insert(dead, id) end
end
return dead`;

/**
 * A handover: the session is given to another node (only by its owner). KEYS: meta, this node's
 * owned set, the receiver's owned set, owners. ARGV: this node, receiver, member.
 */
const TRANSFER = `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[2])
redis.call('SREM', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('SADD', KEYS[4], ARGV[2])
return 1`;

export type RawReply = Array<Buffer | RawReply>;

export interface SessionScripts {
  sessClaimBuffer(meta: string, frames: string, groups: string, permissions: string, owned: string, owners: string,
    nodePrefix: string, me: string, ownedPrefix: string, member: string, tokenHash: string, ttlMs: number): Promise<RawReply>;
  sessAdoptBuffer(deadOwned: string, owned: string, owners: string,
    nodePrefix: string, dead: string, me: string, metaPrefix: string, framesPrefix: string, groupsPrefix: string, permissionsPrefix: string, ttlMs: number): Promise<RawReply>;
  sessDeadOwners(owners: string, nodePrefix: string, me: string): Promise<string[]>;
}

export function defineSessionScripts(client: Redis): Redis & SessionScripts {
  client.defineCommand('sessClaim', { numberOfKeys: 6, lua: CLAIM });
  client.defineCommand('sessAdopt', { numberOfKeys: 3, lua: ADOPT });
  client.defineCommand('sessDeadOwners', { numberOfKeys: 1, lua: DEAD_OWNERS });
  client.defineCommand('sessTransfer', { numberOfKeys: 4, lua: TRANSFER });
  return client as Redis & SessionScripts;
}

/** The handover script queued on a pipeline (keys then args, as `defineCommand` expects). */
export interface TransferOnPipeline {
  sessTransfer(meta: string, owned: string, receiverOwned: string, owners: string, me: string, receiver: string, member: string): unknown;
}
