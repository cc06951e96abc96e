/**
 * Minimal HS256 JWT signer for the benchmark's clients (client access tokens and access-key REST
 * tokens, reference §2.2 / §3.2). Signing happens on the load-generator side, before any timing.
 */
import { createHmac } from 'node:crypto';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export function signHs256(claims: Record<string, unknown>, key: string): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const input = `${HEADER}.${body}`;
  const sig = createHmac('sha256', Buffer.from(key, 'utf8')).update(input).digest('base64url');
  return `${input}.${sig}`;
}

/** A token valid for one hour from now, `iat`/`exp` in seconds. */
export function hourToken(claims: Record<string, unknown>, key: string): string {
  const now = Math.floor(Date.now() / 1000);
  return signHs256({ ...claims, iat: now, exp: now + 3600 }, key);
}
