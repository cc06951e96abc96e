/**
 * Server CPU per inbound small client frame (a reliable client's `sequenceAck`), with `ws`'s
 * receiver alone (`ws`) or with Lapis's small-frames path in front of it (`fast`,
 * src/transports/ws-small-frames.ts): N `ws` clients each send an ack every 100 ms (the bench's
 * cadence) to a bare `ws` server in a child process, which counts them and reports its own CPU
 * time per ack (read, frame parse, event; no session work). CPU time, so it holds on a busy machine.
 *   node bench/ack-micro.ts ws|fast [clients=1000] [seconds=6]
 */
import { fork } from 'node:child_process';
import { WebSocket, WebSocketServer } from 'ws';
import { readSmallFramesDirectly } from '../src/transports/ws-small-frames.ts';

const [mode = 'ws', clientsArg = '1000', secondsArg = '6'] = process.argv.slice(2);
if (mode === 'server-ws' || mode === 'server-fast') {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 1 << 20 });
  let acks = 0;
  let t0 = process.cpuUsage();
  const onMessage = function (this: WebSocket, data: Buffer): void {
    if (data[0] === 0x7b) acks++;
  };
  wss.on('connection', (ws) => {
    ws.on('message', onMessage);
    if (mode === 'server-fast') readSmallFramesDirectly(ws, onMessage);
  });
  wss.on('listening', () => process.send!({ port: (wss.address() as { port: number }).port }));
  process.on('message', (m) => {
    if (m === 'start') {
      acks = 0;
      t0 = process.cpuUsage();
    } else {
      const c = process.cpuUsage(t0);
      process.send!({ acks, us: c.user + c.system });
    }
  });
} else {
  const server = fork(new URL(import.meta.url).pathname, [`server-${mode}`]);
  const { port } = await new Promise<{ port: number }>((resolve) => server.once('message', (m) => resolve(m as { port: number })));
  const clients = await Promise.all(Array.from({ length: Number(clientsArg) }, () => new Promise<WebSocket>((resolve) => {
    const c = new WebSocket(`ws://127.0.0.1:${port}`);
    c.on('open', () => resolve(c));
  })));
  let seq = 0;
  const timer = setInterval(() => {
    for (const c of clients) c.send(`{"type":"sequenceAck","sequenceId":${++seq}}`);
  }, 100);
  await new Promise((r) => setTimeout(r, 1000));
  server.send('start');
  await new Promise((r) => setTimeout(r, Number(secondsArg) * 1000));
  server.send('stop');
  const { acks, us } = await new Promise<{ acks: number; us: number }>((resolve) => server.once('message', (m) => resolve(m as { acks: number; us: number })));
  console.log(`${mode}: ${acks} acks, ${((us / acks) * 1000).toFixed(0)} ns server CPU per ack`);
  clearInterval(timer);
  server.kill();
  process.exit(0);
}
