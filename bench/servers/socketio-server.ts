/**
 * Peer contestant: Socket.IO 4 with rooms, WebSocket transport only, as an application would use it.
 * Clients connect with `?c=<tag>&u=<user>&g=<group,group>` (joined to those rooms and to `u:<user>`);
 * the event `pub` `{g, d}` publishes `d` to room `g` as event `m`. `POST /broadcast|/group/<g>|
 * /user/<u>|/conn/<tag>` with a text body is the server-side send. Prints `{"port":n}` when listening.
 *   node bench/servers/socketio-server.ts [recovery]
 */
import { Server } from 'socket.io';
import type { Socket } from 'socket.io';
import { sendRoutesServer } from './send-routes.ts';

const byTag = new Map<string, Socket>();

const server = sendRoutesServer((route, target, text) => {
  if (route === 'broadcast') io.emit('m', text);
  else if (route === 'conn') byTag.get(target)?.emit('m', text);
  else io.to(route === 'user' ? `u:${target}` : target).emit('m', text);
  return true;
});


// `recovery`: Socket.IO's connection state recovery (the reconnect-storm row), with Lapis's resume window.
const recovery = process.argv[2] === 'recovery' ? { connectionStateRecovery: { maxDisconnectionDuration: 30_000, skipMiddlewares: true } } : {};
const io = new Server(server, { serveClient: false, transports: ['websocket'], perMessageDeflate: false, httpCompression: false, ...recovery });
io.on('connection', (socket) => {
  const q = socket.handshake.query;
  const tag = String(q.c ?? '');
  const user = String(q.u ?? '');
  for (const g of String(q.g ?? '').split(',').filter(Boolean)) void socket.join(g);
  void socket.join(`u:${user}`);
  byTag.set(tag, socket);
  socket.on('pub', (m: { g: string; d: string }) => {
    io.to(m.g).emit('m', m.d);
  });
  socket.on('disconnect', () => {
    if (byTag.get(tag) === socket) byTag.delete(tag);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
