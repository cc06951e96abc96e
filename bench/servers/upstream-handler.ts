/**
 * The upstream row's event handler: a bare `node:http` server answering as a Web PubSub event
 * handler does, as cheaply as it can, so that whoever drives it (Lapis, or the bare client of the
 * baseline) is what is measured:
 *   OPTIONS (abuse protection)            200 with `WebHook-Allowed-Origin: *`
 *   POST, any event (connect included)     204 (connect: accepted, nothing to change; user
 *                                          event: no reply message; disconnected: nothing)
 *   GET /counts                            {"connect":n,"message":n,"disconnected":n,"other":n} (not counted)
 * The event is read from `ce-type` (`azure.webpubsub.sys.connect`, `azure.webpubsub.user.message`, …).
 * Prints `{"port":n}` on stdout when listening.
 */
import http from 'node:http';

const counts = { connect: 0, message: 0, disconnected: 0, other: 0 };
const MAX_BODY = 1 << 20;

const server = http.createServer((req, res) => {
  if (req.method === 'OPTIONS') {
    res.writeHead(200, { 'WebHook-Allowed-Origin': '*', 'content-length': '0' }).end();
    return;
  }
  if (req.method === 'GET' && req.url === '/counts') {
    const body = JSON.stringify(counts);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).end(body);
    return;
  }
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY) req.destroy();
  });
  req.on('end', () => {
    const type = String(req.headers['ce-type'] ?? '');
    if (type === 'azure.webpubsub.sys.connect') counts.connect++;
    else if (type === 'azure.webpubsub.user.message') counts.message++;
    else if (type === 'azure.webpubsub.sys.disconnected') counts.disconnected++;
    else counts.other++;
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
