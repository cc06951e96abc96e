/**
 * A TCP forwarder in front of one Lapis origin, for "the endpoint goes down and comes back": the
 * app server and clients use the proxy's port; `down()` cuts every connection and stops listening
 * (as a network outage or a service restart looks to them), `up()` listens on the same port again.
 * TLS passes through untouched (Lapis's certificate names localhost, whatever the port).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, host = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () => new Promise<void>((resolve, reject) => {
    const s = createServer((client) => {
      const upstream = connect(targetPort, host);
      for (const x of [client, upstream]) {
        sockets.add(x);
        x.on('close', () => sockets.delete(x));
        x.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    s.once('error', reject);
    s.listen(port, host, () => {
      const a = s.address();
      port = typeof a === 'object' && a ? a.port : port;
      server = s;
      resolve();
    });
  });
  const down = async () => {
    const s = server;
    server = undefined;
    for (const x of sockets) x.destroy();
    sockets.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return { get port() { return port; }, down, up: listen, close: down };
}
