/**
 * The keep-alive agents behind every upstream socket, and the one place those sockets are created.
 * Each socket gets, at creation and before any other code sees it:
 *  - an `'error'` listener, so a peer that resets, hangs up or sends garbage while the socket sits
 *    in the pool (or between the request's own listeners coming and going) cannot crash the process;
 *  - a check of the address it actually connected to against the target policy, since a name's DNS
 *    answer may change between two sockets (rebinding), and IP literals skip `lookup` altogether.
 * One agent pair per target policy (private targets allowed or not): a pooled socket is only ever
 * reused under the policy it was checked against.
 */
import { Agent as HttpAgent } from 'node:http';
import type { AgentOptions as HttpAgentOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { TargetRefused } from './errors.ts';
import { guardedLookup, refuseAddress } from './targets.ts';
import type { ResolveAll } from './targets.ts';

export interface AgentPoolOptions {
  ca?: string | undefined;
  maxSocketsPerOrigin: number;
  /** Replaces the system resolver (tests play a rebinding DNS server with it). */
  resolve?: ResolveAll | undefined;
  /** Told about every socket error the guard absorbs (for a debug log line). */
  onSocketError?(err: Error): void;
}

type AnyAgent = HttpAgent | HttpsAgent;
type CreateConnection = (options: object, callback?: (err: Error | null, socket?: Socket) => void) => Socket | undefined;

/** Wraps the agent's socket factory so that every socket it makes is guarded at birth. */
function guardSockets(agent: AnyAgent, allowPrivate: boolean, onSocketError: (err: Error) => void): void {
  const holder = agent as unknown as { createConnection: CreateConnection };
  const create = holder.createConnection.bind(agent);
  holder.createConnection = (options, callback) => {
    const socket = create(options, callback);
    if (!socket) return socket;
    socket.on('error', onSocketError);
    socket.once('connect', () => {
      const remote = socket.remoteAddress;
      const why = remote === undefined ? 'the connected address is unknown' : refuseAddress(remote, allowPrivate);
      if (why) socket.destroy(new TargetRefused(why));
    });
    return socket;
  };
}

export class AgentPool {
  readonly #agents = new Map<string, AnyAgent>();
  readonly #o: AgentPoolOptions;

  constructor(o: AgentPoolOptions) {
    this.#o = o;
  }

  agent(secure: boolean, allowPrivate: boolean): AnyAgent {
    const key = `${secure ? 's' : 'p'}${allowPrivate ? 1 : 0}`;
    let agent = this.#agents.get(key);
    if (!agent) {
      // Every socket an origin may have can wait in the pool (idle ones close after the 60 s
      // timeout): with fewer kept (16 before), a handler driven by more concurrent events than
      // that saw sockets closed and reopened at every dip in concurrency — a TCP connect and close
      // per request for a good share of them.
      const common: HttpAgentOptions = {
        keepAlive: true, maxSockets: this.#o.maxSocketsPerOrigin, maxFreeSockets: this.#o.maxSocketsPerOrigin, timeout: 60_000,
        lookup: guardedLookup(allowPrivate, this.#o.resolve) as never,
      };
      // The extra CA goes in as one secure context built here, not as a `ca` list: node's https
      // agent names its socket pools by concatenating the options' `ca` (all 265 default roots,
      // ~400 KB of PEM) on every request, and tls.connect would build a context per socket.
      agent = secure
        ? new HttpsAgent({ ...common, ...(this.#o.ca ? { secureContext: tls.createSecureContext({ ca: [...tls.getCACertificates('default'), this.#o.ca] }) } : {}) })
        : new HttpAgent(common);
      guardSockets(agent, allowPrivate, (err) => this.#o.onSocketError?.(err));
      this.#agents.set(key, agent);
    }
    return agent;
  }

  destroy(): void {
    for (const a of this.#agents.values()) a.destroy();
    this.#agents.clear();
  }
}
