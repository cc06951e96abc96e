/** Socket hygiene and error plumbing shared by every listener and WebSocket endpoint. */
export { acceptWebSocket, answerClientError, guardServer, guardSocket } from './guard.ts';
export { answerFrameworkError, setOriginErrorHandler } from './origin-errors.ts';
export type { OriginErrorHandler } from './origin-errors.ts';
export { laneAnswered, observeFastLane, runFastLane, setFastLane } from './fast-lane.ts';
export type { FastLane, LaneAnswer } from './fast-lane.ts';
export { holdWritesThisTurn } from './write-batch.ts';
