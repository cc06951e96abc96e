import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/**
 * Query parameters whose values grant access. They are cut out of every URL we log,
 * because request URLs (WebSocket upgrades, MI calls) carry tokens in the query string.
 */
const SECRET_QUERY_KEYS = new Set([
  'access_token', 'awps_reconnection_token', 'client_secret', 'client_assertion',
  'password', 'code', 'sig', 'token', 'key', 'secret', 'refresh_token', 'id_token',
]);

/** Returns the URL with the values of secret-bearing query parameters replaced by `***`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = decodeSafe(eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
    return SECRET_QUERY_KEYS.has(name) ? `${pair.slice(0, eq < 0 ? pair.length : eq)}=***` : pair;
  });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

function decodeSafe(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

export interface LogOptions { level?: string; destination?: pino.DestinationStream }

/**
 * The process logger. Structured JSON (pino). Header values that carry credentials are
 * redacted by path, and URLs pass through `redactUrl` in the request serializer.
 */
export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? process.env.LAPIS_LOG_LEVEL ?? 'info';
  return pino({
    level,
    base: { service: 'lapis' },
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers["x-identity-header"]', 'req.headers.secret',
        'req.headers.cookie', 'headers.authorization', '*.accessKey', '*.primaryKey',
        '*.secondaryKey', '*.password', '*.secretText', '*.clientSecret',
      ],
      censor: '***',
    },
    serializers: {
      req(req: { method?: string; url?: string; hostname?: string; ip?: string }) {
        return { method: req.method, url: redactUrl(req.url ?? ''), host: req.hostname, remote: req.ip };
      },
      res(res: { statusCode?: number }) {
        return { statusCode: res.statusCode };
      },
      err: pino.stdSerializers.err,
    },
  }, options.destination);
}
