import type { FastifyInstance } from 'fastify';
import { E } from './errors.ts';

/** Token requests are small; Entra refuses large ones too. */
export const MAX_FORM_BYTES = 64 * 1024;
const MAX_PARAMS = 64;

/**
 * Parses `application/x-www-form-urlencoded` into a map, refusing repeated parameters (an
 * ambiguity an attacker could use to make two components read different values).
 */
export function parseForm(body: string): Map<string, string> {
  const out = new Map<string, string>();
  const params = new URLSearchParams(body);
  let count = 0;
  for (const [k, v] of params) {
    if (++count > MAX_PARAMS) throw E.malformed('Too many parameters.');
    if (out.has(k)) throw E.malformed(`The parameter '${k.slice(0, 64)}' is repeated.`);
    out.set(k, v);
  }
  return out;
}

/** Registers the form parser in the calling plugin's scope only. */
export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: MAX_FORM_BYTES },
    (_req, body, done) => {
      try {
        done(null, parseForm(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
}
