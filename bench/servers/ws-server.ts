/**
 * Peer contestant: a bare `ws` server, written the way an application would write it.
 *   node bench/servers/ws-server.ts naive   one `ws.send()` per socket (the baseline, 1.0)
 *   node bench/servers/ws-server.ts cork    frame built once, written to every socket under
 *                                           cork(), uncorked once per tick (one writev per socket)
 * Clients connect to `/ws?c=<tag>&u=<user>&g=<group,group>`; a client frame `{"g":group,"d":text}`
 * publishes `text` to a group. `POST /broadcast|/group/<g>|/user/<u>|/conn/<tag>` with a text body
 * is the server-side send. Prints `{"port":n}` on stdout when listening.
 */
import { sendRoutesServer } from './send-routes.ts';
import type { Duplex } from 'node:stream';
import * as wsModule from 'ws';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

// `ws` exports its frame builder (`Sender.frame`); @types/ws does not declare it.
type FrameOptions = { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean };
const Sender = (wsModule as unknown as { Sender: { frame(data: Buffer, o: FrameOptions): Buffer[] } }).Sender;

const mode = process.argv[2] === 'cork' ? 'cork' : 'naive';
const all = new Set<WebSocket>();
const byTag = new Map<string, WebSocket>();
const byUser = new Map<string, Set<WebSocket>>();
const groups = new Map<string, Set<WebSocket>>();

function addTo(index: Map<string, Set<WebSocket>>, key: string, ws: WebSocket): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(ws);
}

const corked: Duplex[] = [];
let uncorkScheduled = false;
function uncorkAll(): void {
  uncorkScheduled = false;
  for (const s of corked.splice(0)) s.uncork();
}

function deliver(targets: Iterable<WebSocket> | undefined, text: string): void {
  if (!targets) return;
  if (mode === 'naive') {
    for (const ws of targets) ws.send(text);
    return;
  }
  const frames = Sender.frame(Buffer.from(text), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: true });
  for (const ws of targets) {
    const s = (ws as unknown as { _socket: Duplex & { writableCorked: number } })._socket;
    if (s.writableCorked === 0) {
      s.cork();
      corked.push(s);
    }
    for (const f of frames) s.write(f);
  }
  if (!uncorkScheduled) {
    uncorkScheduled = true;
    setImmediate(uncorkAll);
  }
}

const server = sendRoutesServer((route, target, text) => {
  if (route === 'broadcast') deliver(all, text);
  else if (route === 'group') deliver(groups.get(target), text);
  else if (route === 'user') deliver(byUser.get(target), text);
  else {
    const ws = byTag.get(target);
    deliver(ws ? [ws] : undefined, text);
  }
  return true;
});


const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false, maxPayload: 1 << 20 });
wss.on('connection', (ws, req) => {
  const q = new URL(req.url ?? '/', 'http://x').searchParams;
  const tag = q.get('c') ?? '';
  const user = q.get('u') ?? '';
  const gs = (q.get('g') ?? '').split(',').filter(Boolean);
  all.add(ws);
  byTag.set(tag, ws);
  addTo(byUser, user, ws);
  for (const g of gs) addTo(groups, g, ws);
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { g: string; d: string };
    deliver(groups.get(m.g), m.d);
  });
  ws.on('error', () => ws.terminate());
  ws.on('close', () => {
    all.delete(ws);
    if (byTag.get(tag) === ws) byTag.delete(tag);
    byUser.get(user)?.delete(ws);
    for (const g of gs) groups.get(g)?.delete(ws);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
