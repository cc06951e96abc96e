/**
 * Peer contestant of the cluster benchmark: one process of a Socket.IO 4 cluster, its rooms shared
 * with the other processes through `@socket.io/redis-adapter` (ioredis, classic PUBLISH/SUBSCRIBE),
 * as the Socket.IO documentation sets a multi-process deployment up. Same routes and client query
 * as bench/servers/socketio-server.ts: `?c=<tag>&u=<user>&g=<group,group>`, the event `pub` `{g, d}`
 * publishes `d` to room `g` as event `m`, `POST /broadcast|/group/<g>|/user/<u>` is the server-side
 * send (every process of the cluster delivers to its own sockets).
 *
 *   node bench/servers/socketio-cluster-server.ts <redis URL> <channel key>
 *
 * Prints `{"port":n}` once both Redis connections are up and the port is open.
 */
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { sendRoutesServer } from './send-routes.ts';

const [redisUrl = 'redis://127.0.0.1:6379', key = 'bench-socket.io'] = process.argv.slice(2);

const pub = new Redis(redisUrl, { lazyConnect: true });
const sub = pub.duplicate();
for (const c of [pub, sub]) c.on('error', (err: Error) => process.stderr.write(`redis: ${err.message}\n`));
await Promise.all([pub.connect(), sub.connect()]);

// Per-connection sends (`/conn/<tag>`) are not part of the cluster rows.
const server = sendRoutesServer((route, target, text) => {
  if (route === 'broadcast') io.emit('m', text);
  else if (route === 'group') io.to(target).emit('m', text);
  else if (route === 'user') io.to(`u:${target}`).emit('m', text);
  else return false;
  return true;
});


const io = new Server(server, { serveClient: false, transports: ['websocket'], perMessageDeflate: false, httpCompression: false });
io.adapter(createAdapter(pub, sub, { key }));
io.on('connection', (socket) => {
  const q = socket.handshake.query;
  for (const g of String(q.g ?? '').split(',').filter(Boolean)) void socket.join(g);
  void socket.join(`u:${String(q.u ?? '')}`);
  socket.on('pub', (m: { g: string; d: string }) => {
    io.to(m.g).emit('m', m.d);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
const quit = () => {
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
};
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
process.on('disconnect', quit);
