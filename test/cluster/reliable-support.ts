/**
 * A stand-in for a load balancer in the reliable-session tests: a TCP forwarder whose backend can
 * be switched (the node a client lands on), that can *freeze* the way back (bytes from the node
 * are dropped, as if the network lost them: the node believes they were sent) and refuse new
 * connections for a while (the client keeps retrying its recovery).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export class SwitchingProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();
  backendPort = 0;
  /** Drop everything the backends send to clients. */
  frozen = false;
  /** Close new connections at once (the client's recovery attempts fail and are retried). */
  refusing = false;

  constructor() {
    this.#server = createServer((client) => this.#accept(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as { port: number }).port;
  }

  /** Cuts every client connection (the client sees an abnormal close, 1006). */
  cutAll(): void {
    for (const [client, backend] of this.#pairs) {
      client.destroy();
      backend.destroy();
    }
    this.#pairs.clear();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    client.on('error', () => {});
    if (this.refusing) {
      client.destroy();
      return;
    }
    const backend = createConnection({ host: '127.0.0.1', port: this.backendPort });
    backend.on('error', () => client.destroy());
    const pair: [Socket, Socket] = [client, backend];
    this.#pairs.add(pair);
    client.on('data', (b) => backend.write(b));
    backend.on('data', (b) => {
      if (!this.frozen) client.write(b);
    });
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      backend.destroy();
    };
    client.on('close', end);
    backend.on('close', end);
  }
}

export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
