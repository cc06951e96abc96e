/**
 * The service's side of the SDK's keyed pings (Microsoft.Azure.SignalR 1.34, read from its
 * RuntimeServicePingMessage and ServiceConnectionContainerBase):
 *
 * - `["status","1"]`, sent by the SDK every 10 s on one connection per hub and endpoint, is answered
 *   with `["status", "1"|"0", "clientcount", n, "servercount", m]` (+ `"capacity", c` when the
 *   resource has a client limit). The SDK keeps "1"/"0" as the endpoint's HasClients for that hub
 *   (removing an endpoint at run time waits for "0") and marks the endpoint inactive after five "0"
 *   answers over 10 minutes; the counts feed the weighted negotiate router, which weighs endpoints
 *   by `capacity - (clientcount + servercount)` once every endpoint reports a capacity.
 * - `["servers",""]`, sent every 5 s only while an endpoint is being added at run time, is answered
 *   with `["servers", "<ticks>:<id1>;<id2>…"]`: the X-ASRS-Server-Id values connected to the hub.
 *   The SDK waits until every endpoint reports the same list before it routes to the new one.
 * - `["shutdown","fin:N"]` → `["shutdown","finack"]`; `["echo",x]` → `["echo",x]`.
 *
 * In a cluster, `status` is "1" when the hub has clients on any node, `clientcount` is the
 * resource's clients on every node (as the backplane last saw them), `servercount` this node's
 * server connections, and `servers` lists the app servers connected to any node (each endpoint must
 * report the resource's list).
 *
 * The service-to-app `offline` (drop the clients of a service instance going away) and `target`
 * (open a connection to a given instance) pings are never sent: the clients a node serves end with
 * its server connections (on its own transports, or on another node's through the cluster relay).
 */
import { pingEntries, pingWith, type PingMessage } from '../../../protocols/signalr-service/index.ts';
import type { AppServers } from './app-servers.ts';
import type { ServerConnection } from './server-connection.ts';

/** .NET DateTime ticks (100 ns since 0001-01-01) of now: the SDK keeps the server list with the newest stamp. */
export function dotnetTicksNow(): string {
  return (BigInt(Date.now()) * 10_000n + 621_355_968_000_000_000n).toString();
}

export async function answerPing(servers: AppServers, sc: ServerConnection, m: PingMessage): Promise<void> {
  for (const [key, value] of pingEntries(m)) {
    // Graceful shutdown: without the finack the SDK waits 30 s before it stops.
    if (key === 'shutdown' && value?.startsWith('fin:')) sc.send(pingWith(['shutdown', 'finack']));
    else if (key === 'echo' && value !== null) sc.send(pingWith(['echo', value]));
    else if (key === 'status') sc.send(await statusPing(servers, sc.info.hub));
    else if (key === 'servers') sc.send(pingWith(['servers', `${dotnetTicksNow()}:${(await serverIds(servers, sc.info.hub)).join(';')}`]));
  }
}

/** In a cluster the resource's list is every node's: each endpoint (resource) must report the same list. */
async function serverIds(servers: AppServers, hub: string): Promise<string[]> {
  const local = servers.serverIds(hub);
  if (!servers.cluster) return local;
  return [...new Set([...local, ...await servers.cluster.clusterServerIds(hub)])].sort();
}

async function statusPing(servers: AppServers, hub: string): Promise<PingMessage> {
  // The resource's clients: in a cluster every node's (as the backplane last saw them), as the limit counts them.
  const cluster = servers.o.cluster;
  const clients = cluster ? cluster.backplane.connectionCount(cluster.channel) : servers.o.core.connectionCount;
  const serverConnections = servers.serverConnectionCount;
  const pairs: [string, string][] = [
    ['status', (await servers.hubHasClients(hub)) ? '1' : '0'],
    ['clientcount', String(clients)],
    ['servercount', String(serverConnections)],
  ];
  // Lapis's limit counts clients only; the SDK subtracts both counts from the capacity.
  const max = servers.o.maxClientConnections?.();
  if (max !== undefined) pairs.push(['capacity', String(max + serverConnections)]);
  return pingWith(...pairs);
}
