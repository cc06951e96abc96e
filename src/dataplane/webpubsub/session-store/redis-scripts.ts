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

/**
 * A session's whole state, written only while this node owns it (or nobody does): a node that was
 * cut off long enough for another node to adopt its sessions must not overwrite them when it
 * comes back. Returns 0 (and writes nothing) when another node owns the record.
 * KEYS: meta, frames, groups, permissions, owned set, owners. ARGV: this node, ttl ms, member,
 * then counts of meta field/value pairs, frame score/bytes pairs, groups, permission changes,
 * then those values in that order.
 */
const WRITE_FULL = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
local counts = {tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])}
local i = 8
local function take(n, step, f)
  local stop = i + n * step
  while i < stop do
    local args = {}
    for j = i, math.min(i + 200 * step, stop) - 1 do args[#args + 1] = ARGV[j] end
    i = i + #args
    f(args)
  end
end
take(counts[1], 2, function(a) redis.call('HSET', KEYS[1], unpack(a)) end)
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
take(counts[2], 2, function(a) redis.call('ZADD', KEYS[2], unpack(a)) end)
take(counts[3], 1, function(a) redis.call('SADD', KEYS[3], unpack(a)) end)
take(counts[4], 1, function(a) redis.call('RPUSH', KEYS[4], unpack(a)) end)
redis.call('SADD', KEYS[5], ARGV[3])
redis.call('SADD', KEYS[6], ARGV[1])
for k = 1, 4 do redis.call('PEXPIRE', KEYS[k], ARGV[2]) end
return 1`;

/**
 * New frames and acknowledgements of many sessions in one call (the hot path: one command per
 * flush instead of one or two per session). ARGV: ttl ms, then per session its frames key, the
 * acknowledged id (0: none), the number of frames, and that many score/bytes pairs.
 */
const APPEND = `
local ttl = ARGV[1]
local i = 2
while i <= #ARGV do
  local key, ack, n = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  i = i + 3
  local stop = i + n * 2
  while i < stop do
    local args = {}
    while i < stop and #args < 400 do
      args[#args + 1] = ARGV[i]
      args[#args + 1] = ARGV[i + 1]
      i = i + 2
    end
    redis.call('ZADD', key, unpack(args))
  end
  if n > 0 then redis.call('PEXPIRE', key, ttl) end
  if ack > 0 then redis.call('ZREMRANGEBYSCORE', key, '-inf', ack) end
end
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
  client.defineCommand('sessWriteFull', { numberOfKeys: 6, lua: WRITE_FULL });
  client.defineCommand('sessAppend', { numberOfKeys: 0, lua: APPEND });
  return client as Redis & SessionScripts;
}

/** Scripts queued on a pipeline (keys then args, as `defineCommand` expects). */
export interface ScriptsOnPipeline {
  sessTransfer(meta: string, owned: string, receiverOwned: string, owners: string, me: string, receiver: string, member: string): unknown;
  sessWriteFull(...keysThenArgs: Array<string | number | Buffer>): unknown;
  sessAppend(...args: Array<string | number | Buffer>): unknown;
}
