// Shared helpers for the identity tests: raw HTTP, Entra error assertions, token verification with
// jose against Lapis's own discovery documents, hand-made client assertions, and environment
// juggling for the SDK credentials that read `process.env`.
import assert from 'node:assert/strict';
import { createHmac, constants as cryptoConstants, randomUUID, sign as cryptoSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';

export const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** First-party audiences Lapis serves (issue 3): each gets a v1 token. */
export const FIRST_PARTY = [
  'https://webpubsub.azure.com',
  'https://signalr.azure.com',
  'https://vault.azure.net',
  'https://management.azure.com',
] as const;

export const WEBPUBSUB = 'https://webpubsub.azure.com';
export const WEBPUBSUB_SCOPE = 'https://webpubsub.azure.com/.default';

/** Ceiling for any single SDK call: a hang is a failure, not a slow pass. */
export const SDK_TIMEOUT_MS = 30_000;

/** Authority host without a trailing slash. */
export function host(ready: { authorityHost: string }): string {
  return ready.authorityHost.replace(/\/+$/, '');
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: any;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * One HTTP(S) request with the path sent byte for byte (no URL normalisation, unlike fetch), so
 * that tenant-segment tricks such as `/..%2F/oauth2/token` reach the server as written.
 */
export function rawRequest(origin: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {}): Promise<RawResponse> {
  const url = new URL(origin);
  const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
  const headers: Record<string, string | number> = { ...opts.headers };
  if (body !== undefined) headers['content-length'] = body.length;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port,
      method: opts.method ?? 'GET',
      path,
      headers,
      timeout: opts.timeoutMs ?? 15_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parse(text) });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${origin}${path} within ${opts.timeoutMs ?? 15_000} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** `fetch` wrapper that returns status, headers and parsed body, with a timeout. */
export async function http(url: string, init: RequestInit = {}): Promise<RawResponse> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => { headers[k] = v; });
  return { status: res.status, headers, text, json: parse(text) };
}

export const FORM = 'application/x-www-form-urlencoded';

/** POST a form body (object → URL-encoded, or a string sent as is). */
export function postForm(url: string, fields: Record<string, string> | string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const body = typeof fields === 'string' ? fields : new URLSearchParams(fields).toString();
  return http(url, { method: 'POST', headers: { 'content-type': FORM, ...headers }, body });
}

export function getJson(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return http(url, { headers });
}

// ---------------------------------------------------------------------------------------------
// Entra-shaped errors

export interface ExpectedError {
  status?: number | number[];
  error?: string | string[];
  /** Exact AADSTS code expected; omit to accept any AADSTS code. */
  code?: number;
}

/**
 * Asserts the Entra error shape: JSON with `error`, `error_description` beginning
 * `AADSTS<code>:`, `error_codes` holding that code, `timestamp`, `trace_id`, `correlation_id`,
 * and no token. Returns the AADSTS code found.
 */
export function assertEntraError(res: RawResponse, expected: ExpectedError, what = 'response'): number {
  const ctx = `${what}: HTTP ${res.status} ${res.text.slice(0, 400)}`;
  if (expected.status !== undefined) {
    const statuses = Array.isArray(expected.status) ? expected.status : [expected.status];
    assert.ok(statuses.includes(res.status), `expected HTTP ${statuses.join(' or ')}; ${ctx}`);
  } else {
    assert.ok(res.status >= 400 && res.status < 500, `expected a 4xx status; ${ctx}`);
  }
  const ct = String(res.headers['content-type'] ?? '');
  assert.match(ct, /application\/json/i, `error content-type should be JSON; ${ctx}`);
  const body = res.json;
  assert.ok(body && typeof body === 'object', `error body should be a JSON object; ${ctx}`);
  assert.equal(body.access_token, undefined, `an error must not carry a token; ${ctx}`);
  assert.equal(typeof body.error, 'string', `error field missing; ${ctx}`);
  if (expected.error !== undefined) {
    const errors = Array.isArray(expected.error) ? expected.error : [expected.error];
    assert.ok(errors.includes(body.error), `expected error ${errors.join(' or ')}, got ${body.error}; ${ctx}`);
  }
  assert.equal(typeof body.error_description, 'string', `error_description missing; ${ctx}`);
  const m = /^AADSTS(\d+): /.exec(body.error_description);
  assert.ok(m, `error_description should begin with "AADSTS<code>: "; ${ctx}`);
  const code = Number(m[1]);
  if (expected.code !== undefined) assert.equal(code, expected.code, `expected AADSTS${expected.code}; ${ctx}`);
  assert.ok(Array.isArray(body.error_codes), `error_codes should be an array; ${ctx}`);
  assert.ok(body.error_codes.includes(code), `error_codes should contain ${code}; ${ctx}`);
  assert.equal(typeof body.timestamp, 'string', `timestamp missing; ${ctx}`);
  assert.ok(!Number.isNaN(Date.parse(body.timestamp)), `timestamp should be a date; ${ctx}`);
  assert.match(String(body.trace_id), GUID_RE, `trace_id should be a GUID; ${ctx}`);
  assert.match(String(body.correlation_id), GUID_RE, `correlation_id should be a GUID; ${ctx}`);
  return code;
}

// ---------------------------------------------------------------------------------------------
// Token verification with jose against Lapis's discovery documents (reference §6)

export interface DiscoveryDoc {
  issuer: string;
  jwks_uri: string;
  token_endpoint: string;
  authorization_endpoint: string;
  [k: string]: unknown;
}

export type TokenVersion = '1.0' | '2.0';

export function discoveryUrl(ready: { authorityHost: string }, tenant: string, ver: TokenVersion): string {
  return ver === '2.0'
    ? `${host(ready)}/${tenant}/v2.0/.well-known/openid-configuration`
    : `${host(ready)}/${tenant}/.well-known/openid-configuration`;
}

export async function discovery(ready: { authorityHost: string }, tenant: string, ver: TokenVersion): Promise<DiscoveryDoc> {
  const url = discoveryUrl(ready, tenant, ver);
  const res = await getJson(url);
  assert.equal(res.status, 200, `GET ${url}: ${res.text.slice(0, 300)}`);
  for (const f of ['issuer', 'jwks_uri', 'token_endpoint', 'authorization_endpoint']) {
    assert.equal(typeof res.json?.[f], 'string', `${url} lacks ${f}`);
  }
  return res.json as DiscoveryDoc;
}

const jwksSets = new Map<string, JWTVerifyGetKey>();
/** One remote JWKS per URL, as an upstream would keep it. */
export function remoteJwks(jwksUri: string): JWTVerifyGetKey {
  let set = jwksSets.get(jwksUri);
  if (!set) {
    set = createRemoteJWKSet(new URL(jwksUri));
    jwksSets.set(jwksUri, set);
  }
  return set;
}

/** Forgets every cached key set (after a restart the same URL must be fetched afresh). */
export function clearJwksCache(): void {
  jwksSets.clear();
}

export interface VerifiedToken {
  payload: JWTPayload & Record<string, any>;
  header: Record<string, any>;
  doc: DiscoveryDoc;
}

/**
 * Verifies an access token as an upstream service would (reference §6.1): discovery document of
 * the token's tenant and version, JWKS from its `jwks_uri`, `issuer` from the document, the
 * expected audience(s), RS256 only, 5 min clock tolerance; then checks `tid` and `ver`.
 */
export async function verifyAccessToken(
  ready: { authorityHost: string; tenantId: string },
  token: string,
  opts: { audience: string | string[]; ver: TokenVersion; tenant?: string },
): Promise<VerifiedToken> {
  const unverified = decodeJwt(token);
  const doc = await discovery(ready, opts.tenant ?? ready.tenantId, opts.ver);
  const { payload, protectedHeader } = await jwtVerify(token, remoteJwks(doc.jwks_uri), {
    issuer: doc.issuer,
    audience: opts.audience,
    algorithms: ['RS256'],
    clockTolerance: 300,
    requiredClaims: ['iss', 'aud', 'exp', 'nbf', 'iat', 'tid', 'oid', 'sub', 'ver'],
  }).catch((e: unknown) => {
    throw new Error(`jose rejected the token (${(e as { code?: string }).code ?? ''} ${(e as Error).message}); payload ${JSON.stringify(unverified)}`);
  });
  assert.equal(payload.tid, ready.tenantId, 'tid must be the tenant GUID');
  assert.equal(payload.ver, opts.ver, 'token version');
  return { payload: payload as VerifiedToken['payload'], header: protectedHeader as Record<string, any>, doc };
}

/** Claims every app-only or MI token carries (reference §3.1), for either version. */
export function assertCommonClaims(v: VerifiedToken, ready: { authorityHost: string; tenantId: string }): void {
  const { payload: p, header: h } = v;
  assert.equal(h.alg, 'RS256');
  assert.equal(typeof h.kid, 'string', 'header kid');
  assert.ok(h.kid.length > 0, 'header kid');
  if (h.typ !== undefined) assert.equal(h.typ, 'JWT');
  assert.match(String(p.oid), GUID_RE, 'oid is a GUID');
  assert.equal(p.tid, ready.tenantId);
  assert.equal(typeof p.uti, 'string', 'uti');
  assert.ok(String(p.uti).length > 0, 'uti');
  for (const c of ['iat', 'nbf', 'exp'] as const) assert.ok(Number.isInteger(p[c]), `${c} is an integer`);
  const now = Math.floor(Date.now() / 1000);
  assert.ok(p.iat! <= now + 5 && p.iat! >= now - 600, `iat ${p.iat} is about now (${now})`);
  assert.ok(p.nbf! <= now + 5, 'nbf not in the future');
  assert.ok(p.exp! > now + 300, 'exp at least 5 minutes ahead');
  assert.ok(p.exp! - p.iat! <= 86400 + 300, 'token lifetime at most about a day');
}

export function assertV1AppClaims(v: VerifiedToken, ready: { authorityHost: string; tenantId: string }, expect: { aud: string | string[]; appid: string; appidacr: '0' | '1' | '2'; oid?: string }): void {
  assertCommonClaims(v, ready);
  const p = v.payload;
  assert.equal(p.iss, `${host(ready)}/${ready.tenantId}/`, 'v1 issuer');
  assert.equal(v.doc.issuer, p.iss, 'v1 discovery issuer equals the token issuer');
  assert.equal(p.ver, '1.0');
  const auds = Array.isArray(expect.aud) ? expect.aud : [expect.aud];
  assert.ok(auds.includes(p.aud as string), `aud ${String(p.aud)} not in ${auds.join(', ')}`);
  assert.equal(p.appid, expect.appid, 'appid');
  assert.equal(p.appidacr, expect.appidacr, 'appidacr');
  assert.equal(p.sub, p.oid, 'app-only tokens: sub equals oid');
  assert.equal(p.idtyp, 'app', 'idtyp');
  if (expect.oid) assert.equal(p.oid, expect.oid, 'oid');
}

export function assertV2AppClaims(v: VerifiedToken, ready: { authorityHost: string; tenantId: string }, expect: { aud: string; azp: string; azpacr: '0' | '1' | '2' }): void {
  assertCommonClaims(v, ready);
  const p = v.payload;
  assert.equal(p.iss, `${host(ready)}/${ready.tenantId}/v2.0`, 'v2 issuer');
  assert.equal(v.doc.issuer, p.iss, 'v2 discovery issuer equals the token issuer');
  assert.equal(p.ver, '2.0');
  assert.equal(p.aud, expect.aud, 'v2 aud is the resource app id');
  assert.equal(p.azp, expect.azp, 'azp');
  assert.equal(p.azpacr, expect.azpacr, 'azpacr');
  assert.equal(p.sub, p.oid, 'app-only tokens: sub equals oid');
  assert.equal(p.idtyp, 'app', 'idtyp');
}

export function peek(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  return { header: decodeProtectedHeader(token) as Record<string, unknown>, payload: decodeJwt(token) as Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------------
// Hand-made client assertions (reference §1.5)

const b64u = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Signs header.payload with the named algorithm; `none` gives an empty signature. */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject | Buffer | null): string {
  const input = `${b64u(header)}.${b64u(payload)}`;
  const alg = header.alg;
  let sig: Buffer;
  if (typeof alg === 'string' && alg.toLowerCase() === 'none') sig = Buffer.alloc(0);
  else if (alg === 'HS256') sig = createHmac('sha256', key as Buffer).update(input).digest();
  else if (alg === 'PS256') sig = cryptoSign('sha256', Buffer.from(input), { key: key as KeyObject, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  else if (alg === 'RS256') sig = cryptoSign('sha256', Buffer.from(input), key as KeyObject);
  else throw new Error(`unsupported alg ${String(alg)}`);
  return `${input}.${sig.toString('base64url')}`;
}

/** The claims msal-node puts into a certificate assertion, for `clientId` calling `tokenUrl`. */
export function assertionClaims(clientId: string, tokenUrl: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { aud: tokenUrl, iss: clientId, sub: clientId, jti: randomUUID(), nbf: now, iat: now, exp: now + 600, ...over };
}

// ---------------------------------------------------------------------------------------------
// Environment and timing

/** Variables the SDK reads; cleared so a developer's shell cannot change what a test proves. */
const SDK_ENV = [
  'AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD', 'AZURE_CLIENT_SEND_CERTIFICATE_CHAIN', 'AZURE_USERNAME', 'AZURE_PASSWORD',
  'AZURE_AUTHORITY_HOST', 'AZURE_ADDITIONALLY_ALLOWED_TENANTS', 'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_REGIONAL_AUTHORITY_NAME',
  'AZURE_TOKEN_CREDENTIALS', 'AZURE_POD_IDENTITY_AUTHORITY_HOST', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER',
  'IDENTITY_SERVER_THUMBPRINT', 'IMDS_ENDPOINT', 'MSI_ENDPOINT', 'MSI_SECRET', 'DEFAULT_IDENTITY_CLIENT_ID',
];

export function scrubAzureEnv(): void {
  for (const k of SDK_ENV) delete process.env[k];
}

/** Runs `fn` with the variables set (undefined = removed), then restores the previous values. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(vars)) {
    saved.set(k, process.env[k]);
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Fails (rather than hangs) when `p` does not settle within `ms`. */
export async function within<T>(p: Promise<T>, ms = SDK_TIMEOUT_MS, what = 'SDK call'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Awaits a promise that must reject; returns the error. */
export async function rejection(p: Promise<unknown>, what = 'SDK call'): Promise<Error & Record<string, any>> {
  try {
    await within(p, SDK_TIMEOUT_MS, what);
  } catch (e) {
    if (e instanceof Error && /did not settle within/.test(e.message)) throw e;
    return e as Error & Record<string, any>;
  }
  assert.fail(`${what} should have failed`);
}

/** A token the SDK returned: Bearer, expiring comfortably in the future. */
export function assertSdkToken(t: { token: string; expiresOnTimestamp: number; tokenType?: string } | null): asserts t is { token: string; expiresOnTimestamp: number; tokenType?: string } {
  assert.ok(t, 'getToken returned null');
  assert.equal(typeof t.token, 'string');
  assert.equal(t.token.split('.').length, 3, 'access token is a JWS');
  assert.ok(t.expiresOnTimestamp > Date.now() + 10 * 60_000, `expiresOnTimestamp ${t.expiresOnTimestamp} should be >10 min ahead (expires_in / expires_on parsed)`);
  if (t.tokenType !== undefined) assert.equal(t.tokenType, 'Bearer');
}
