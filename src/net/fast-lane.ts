/**
 * A fast lane in front of fastify for the few requests a piece can answer entirely by itself on
 * the hot path (Web PubSub's REST sends with an access-key token): fastify's per-request
 * machinery (request and reply objects, hooks, content-type parsing) cost about as much CPU as
 * the rest of such a request together (issue 16, measured with bench/rest-probe.ts). A lane
 * decides from the request line and headers alone, before reading any of the body; when it says
 * no, fastify serves the request as always, so every refusal, every unusual request and every
 * other route keeps the one path. What fastify's hooks would have done for an answered request
 * (REST metrics, live trace) is done by the observers registered here next to those hooks.
 */
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Takes the request (and then must answer it) or returns false before touching it. */
export type FastLane = (req: IncomingMessage, res: ServerResponse) => boolean;

/** A request a lane answered, for the observers (metrics, trace). */
export interface LaneAnswer {
  method: string;
  /** The request target as received (path and query). */
  url: string;
  status: number;
  /** `x-ms-error-code` when the answer is an error. */
  errorCode: string | undefined;
  /** The operation's route pattern (`/api/hubs/{hub}/users/{userId}/:send`). */
  route: string;
  ms: number;
}

interface Slot {
  lane: FastLane | undefined;
  observers: ((a: LaneAnswer) => void)[];
}

const slots = new WeakMap<FastifyInstance, Slot>();

function slotOf(app: FastifyInstance): Slot {
  let s = slots.get(app);
  if (!s) slots.set(app, (s = { lane: undefined, observers: [] }));
  return s;
}

/** One lane per app (the piece that owns the origin). */
export function setFastLane(app: FastifyInstance, lane: FastLane): void {
  slotOf(app).lane = lane;
}

/** Called for every request a lane answers on `app` (registered next to the matching fastify hook). */
export function observeFastLane(app: FastifyInstance, observer: (a: LaneAnswer) => void): void {
  slotOf(app).observers.push(observer);
}

/** Used by the listener: true when a lane took the request. */
export function runFastLane(app: FastifyInstance, req: IncomingMessage, res: ServerResponse): boolean {
  const lane = slots.get(app)?.lane;
  return lane !== undefined && lane(req, res);
}

/** Told by a lane once it has answered. */
export function laneAnswered(app: FastifyInstance, a: LaneAnswer): void {
  const s = slots.get(app);
  if (s) for (const o of s.observers) o(a);
}
