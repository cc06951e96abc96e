/**
 * Lua scripts that answer from the registries in one round trip and prune what dead nodes left
 * behind as they go. A node is live while its heartbeat key exists, so every registry entry is
 * checked against that key: a node that died without cleaning up stops counting when its
 * heartbeat expires. (The scripts build heartbeat key names themselves, which standalone Redis
 * allows; Redis Cluster is not supported, see docs/cluster.md.)
 */
import type { ChainableCommander, Redis } from 'ioredis';

const LIVE_NODES = `
local ids = redis.call('SMEMBERS', KEYS[1])
local live = {}
for _, id in ipairs(ids) do
  if redis.call('EXISTS', ARGV[1] .. id) == 1 then table.insert(live, id) else redis.call('SREM', KEYS[1], id) end
end
return live`;

/** Sum of a node-id → count hash over live nodes, leaving out ARGV[2] (this node: it knows its own). */
const LIVE_SUM = `
local kv = redis.call('HGETALL', KEYS[1])
local sum = 0
for i = 1, #kv, 2 do
  local id = kv[i]
  if redis.call('EXISTS', ARGV[1] .. id) == 1 then
    if id ~= ARGV[2] then sum = sum + (tonumber(kv[i + 1]) or 0) end
  else
    redis.call('HDEL', KEYS[1], id)
  end
end
return sum`;

/** The live node holding a connection, or nil (a dead node's entry is removed). */
const LOCATE = `
local id = redis.call('GET', KEYS[1])
if not id then return false end
if redis.call('EXISTS', ARGV[1] .. id) == 1 then return id end
redis.call('DEL', KEYS[1])
return false`;

export interface ScriptCommands {
  lapisLiveNodes(nodesKey: string, nodePrefix: string): Promise<string[]>;
  lapisLiveSum(hashKey: string, nodePrefix: string, exceptNode: string): Promise<number>;
  lapisLocate(connectionKey: string, nodePrefix: string): Promise<string | null>;
}

/** The same commands queued on a pipeline (results come back from `exec`). */
export interface PipelineScriptCommands {
  lapisLiveNodes(nodesKey: string, nodePrefix: string): ChainableCommander;
  lapisLiveSum(hashKey: string, nodePrefix: string, exceptNode: string): ChainableCommander;
}

/** Registers the scripts on a client (EVALSHA, loaded on first use) and returns it typed. */
export function defineScripts(client: Redis): Redis & ScriptCommands {
  client.defineCommand('lapisLiveNodes', { numberOfKeys: 1, lua: LIVE_NODES });
  client.defineCommand('lapisLiveSum', { numberOfKeys: 1, lua: LIVE_SUM });
  client.defineCommand('lapisLocate', { numberOfKeys: 1, lua: LOCATE });
  return client as Redis & ScriptCommands;
}

export function withScripts(pipeline: ChainableCommander): ChainableCommander & PipelineScriptCommands {
  return pipeline as ChainableCommander & PipelineScriptCommands;
}
