import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Store } from '../store/index.ts';
import { E } from './errors.ts';
import { KIND } from './model.ts';

/** `__Host-` cookies are only accepted over HTTPS, for path `/`, without a Domain: no sibling host can set them. */
export const SESSION_COOKIE = '__Host-lapis-session';
export const CSRF_COOKIE = '__Host-lapis-csrf';
/** A browser sign-in lasts this long (Entra keeps its session cookie for the browser session too). */
export const SESSION_LIFETIME_MS = 12 * 3600_000;
const MAX_COOKIE_HEADER = 8192;

export interface SignInSession {
  /** sha256 of the cookie value: the store never holds a value that would sign anyone in. */
  id: string;
  userId: string;
  userPrincipalName: string;
  tenantId: string;
  /** Epoch seconds of the password check (`auth_time`). */
  authTime: number;
  expiresAt: number;
}

export const hashToken = (value: string) => createHash('sha256').update(value).digest('base64url');
export const newSecret = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** Parses the Cookie header (bounded); later duplicates are ignored. */
export function readCookies(req: FastifyRequest): Map<string, string> {
  const out = new Map<string, string>();
  const header = req.headers.cookie;
  if (typeof header !== 'string' || header.length > MAX_COOKIE_HEADER) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

export function cookie(name: string, value: string, opts: { sameSite?: 'Lax' | 'Strict'; clear?: boolean } = {}): string {
  return `${name}=${opts.clear ? '' : value}; Path=/; Secure; HttpOnly; SameSite=${opts.sameSite ?? 'Lax'}${opts.clear ? '; Max-Age=0' : ''}`;
}

/**
 * Double-submit anti-forgery token: a random value in a SameSite=Strict cookie that every form
 * repeats in a hidden field. Another site can make the browser post a form here, but it can
 * neither read the cookie nor set it, so it cannot make the two agree.
 */
export function csrfFor(req: FastifyRequest): { token: string; setCookie?: string } {
  const held = readCookies(req).get(CSRF_COOKIE);
  if (held && /^[\w-]{32,64}$/.test(held)) return { token: held };
  const token = newSecret();
  return { token, setCookie: cookie(CSRF_COOKIE, token, { sameSite: 'Strict' }) };
}

export function checkCsrf(req: FastifyRequest, form: Map<string, string>): void {
  const held = readCookies(req).get(CSRF_COOKIE) ?? '';
  const sent = form.get('csrf') ?? '';
  const a = Buffer.from(held);
  const b = Buffer.from(sent);
  if (!held || a.length !== b.length || !timingSafeEqual(a, b)) throw E.csrf();
}

/** Browser sessions in the store (shared by the nodes), keyed by the hash of the cookie value. */
export class SessionStore {
  readonly #store: Store;
  /** When the user's password last changed (epoch seconds): a session from before it is over. */
  readonly #passwordChangedAt: (userId: string) => number | undefined;
  constructor(store: Store, passwordChangedAt: (userId: string) => number | undefined = () => undefined) {
    this.#store = store;
    this.#passwordChangedAt = passwordChangedAt;
  }

  /** Starts a session; returns the Set-Cookie value. */
  async create(user: { id: string; userPrincipalName: string; tenantId: string }, now = Date.now()): Promise<{ session: SignInSession; setCookie: string }> {
    const value = newSecret();
    const session: SignInSession = {
      id: hashToken(value), userId: user.id, userPrincipalName: user.userPrincipalName, tenantId: user.tenantId,
      authTime: Math.floor(now / 1000), expiresAt: now + SESSION_LIFETIME_MS,
    };
    await this.#store.put(KIND.signInSession, session.id, session);
    return { session, setCookie: cookie(SESSION_COOKIE, value) };
  }

  /** The live session of the request's cookie, if any. */
  async current(req: FastifyRequest, now = Date.now()): Promise<SignInSession | undefined> {
    const value = readCookies(req).get(SESSION_COOKIE);
    if (!value || !/^[\w-]{32,64}$/.test(value)) return undefined;
    const s = await this.#store.get<SignInSession>(KIND.signInSession, hashToken(value));
    if (!s || s.expiresAt <= now) return undefined;
    const changed = this.#passwordChangedAt(s.userId);
    return changed !== undefined && s.authTime < changed ? undefined : s;
  }

  /** Ends the request's session (sign-out); returns the Set-Cookie that clears it. */
  async end(req: FastifyRequest): Promise<string> {
    const value = readCookies(req).get(SESSION_COOKIE);
    if (value && /^[\w-]{32,64}$/.test(value)) await this.#store.delete(KIND.signInSession, hashToken(value));
    return cookie(SESSION_COOKIE, '', { clear: true });
  }

  async sweep(now = Date.now()): Promise<void> {
    for (const s of await this.#store.list<SignInSession>(KIND.signInSession)) {
      if (s.expiresAt <= now) await this.#store.delete(KIND.signInSession, s.id);
    }
  }
}
