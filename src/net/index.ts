/** Socket hygiene shared by every listener and WebSocket endpoint. */
export { acceptWebSocket, answerClientError, guardServer, guardSocket } from './guard.ts';
