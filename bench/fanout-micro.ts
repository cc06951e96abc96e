/**
 * The JavaScript cost of a Web PubSub fan-out per delivery, without sockets or the kernel: N
 * sessions (`json`, `reliable`, `protobuf`, `protobuf-reliable`) attached to fake sockets whose
 * writes do nothing, 16 messages delivered to all of them per event-loop turn (the benchmark's
 * flow-control window at 1,000 connections), reliable sessions acknowledging everything every 6
 * turns. It prints the process's CPU time per delivery, which another process stealing the core
 * does not change much, so before/after comparisons hold on a busy machine (the socket writes,
 * which dominate a real fan-out, are not in it: use `npm run bench` for those).
 *   node bench/fanout-micro.ts [kind=json] [sessions=2000] [turns=400] [payload bytes=100]
 */
import { PubSubSession } from '../src/protocols/webpubsub/pubsub-session.ts';
import { jsonCodec, protobufCodec } from '../src/protocols/webpubsub/index.ts';
const kind = process.argv[2] ?? 'json';
const N = Number(process.argv[3] ?? 2000);
const PER_TURN = 16;
const TURNS = Number(process.argv[4] ?? 400);
const sink = { writableLength: 0, destroyed: false, writable: true, cork() {}, uncork() {}, write(_b: Buffer) { return true; } };
const host: any = { core: { unregister() {} }, log: { debug() {}, warn() {}, error() {} }, events: undefined, maxBufferedBytes: 1 << 30, recoveryWindowMs: 1000, sessionEnded() {} };
const codec = kind.startsWith('protobuf') ? protobufCodec : jsonCodec;
const reliable = kind.endsWith('reliable');
const sessions: PubSubSession[] = [];
for (let i = 0; i < N; i++) {
  const s = new PubSubSession(host, { connectionId: `c${i}`, hub: 'h', userId: `u${i}`, roles: [] }, codec, reliable);
  const ws: any = { on() {}, readyState: 1, _socket: sink, ping() {}, close() {}, terminate() {}, pause() {}, resume() {} };
  s.start(ws);
  sessions.push(s);
}
const payload = Buffer.from('x'.repeat(Number(process.argv[5] ?? 100)));
let turn = 0;
let t0 = process.cpuUsage();
let w0 = 0;
await new Promise<void>((resolve) => {
  const step = () => {
    if (turn === 50) { t0 = process.cpuUsage(); w0 = performance.now(); }
    for (let k = 0; k < PER_TURN; k++) {
      const message: any = { content: { kind: 'webpubsub', payload: { kind: 'text', data: payload }, from: 'server' }, encoded: new Map() };
      for (const s of sessions) s.deliver(message);
    }
    // acks every ~6 turns (100 ms at ~16 messages per 2.5 ms turn), as the bench's receivers
    if (reliable && turn % 6 === 5) for (const s of sessions) s.reliableState!.ack(s.reliableState!.buffer.lastSequenceId);
    if (++turn < TURNS) setImmediate(step); else setImmediate(resolve);
  };
  setImmediate(step);
});
const cpu = process.cpuUsage(t0);
const deliveries = (TURNS - 50) * PER_TURN * N;
console.log(`${kind} ${N} sessions, ${payload.length} B: ${(((cpu.user + cpu.system) * 1000) / deliveries).toFixed(1)} ns CPU per delivery (${((performance.now() - w0) * 1e6 / deliveries).toFixed(1)} ns wall)`);
