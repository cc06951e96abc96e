/**
 * Source addresses for the load generators' connections.
 *
 * Generators bind each connection to a loopback source address (for more than one ephemeral port
 * range's worth of connections). A bound connect picks its port without looking at the
 * destination, so when the previous contestant's thousands of client-closed sockets still sit in
 * TIME_WAIT (60 s) on the same source addresses, the next contestant's connections queue behind
 * the kernel's port search: at 15,000 connections that cut measured setup rates to 600–900/s in
 * two of every three contestants, whatever the server. Every batch of connections therefore gets
 * source addresses no earlier batch of this process used (the whole of 127.0.0.0/8 is loopback),
 * and the process id spreads concurrent benchmark runs apart.
 */
let batch = 0;
const base = process.pid % 200;

/** A fresh block of source addresses: call once per batch, then take `.of(worker)` per worker. */
export function freshSourceAddresses(): { of(worker: number): string } {
  const n = batch++;
  const second = 1 + ((base + Math.floor(n / 250)) % 250);
  const third = n % 250;
  return { of: (worker) => `127.${second}.${third}.${10 + worker}` };
}
