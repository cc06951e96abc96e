/**
 * The server-side send routes every peer contestant answers the same way: `POST /broadcast`,
 * `/group/<g>`, `/user/<u>`, `/conn/<tag>` with a text body, 202 when sent, 404 for any other
 * route. Each peer says how it delivers to a target.
 */
import http from 'node:http';

export type SendRoute = 'broadcast' | 'group' | 'user' | 'conn';

/** `deliver` returns false for a route the peer does not serve (answered 404). */
export function sendRoutesServer(deliver: (route: SendRoute, target: string, text: string) => boolean): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [, route, arg] = /^\/([a-z]+)\/?([^?]*)/.exec(req.url ?? '') ?? [];
      const known = route === 'broadcast' || route === 'group' || route === 'user' || route === 'conn';
      if (!known || !deliver(route, decodeURIComponent(arg ?? ''), text)) {
        res.writeHead(404, { 'content-length': '0' }).end();
        return;
      }
      res.writeHead(202, { 'content-length': '0' }).end();
    });
  });
}
