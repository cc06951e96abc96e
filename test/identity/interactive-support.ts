// Helpers for the interactive sign-in tests: PKCE pairs, a cookie jar, the raw authorize → sign-in
// → code round trip over HTTP (no browser), and Playwright's Chromium where it is installed.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { TestLapis } from '../helpers/lapis.ts';
import { FORM, host } from './support.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const NO_CHROMIUM = existsSync(CHROMIUM) ? undefined : `Chromium is not installed at ${CHROMIUM} (Debian's chromium package; .ci/run installs it)`;

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Cookies as a browser would keep them for the authority's origin (name → value). */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/max-age=0/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface Page { status: number; text: string; location?: string; headers: Headers }

/** One request without following redirects, with the jar's cookies sent and updated. */
export async function browse(jar: CookieJar, url: string, form?: Record<string, string>): Promise<Page> {
  const res = await fetch(url, {
    method: form ? 'POST' : 'GET', redirect: 'manual', signal: AbortSignal.timeout(15_000),
    headers: { cookie: jar.header(), ...(form ? { 'content-type': FORM } : {}) },
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  jar.take(res);
  return { status: res.status, text: await res.text(), location: res.headers.get('location') ?? undefined, headers: res.headers };
}

export function hiddenValue(html: string, name: string): string | undefined {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  return m?.[1]?.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
}

export function formAction(html: string): string {
  const m = /<form method="post" action="([^"]*)"/.exec(html);
  assert.ok(m, `a form in: ${html.slice(0, 300)}`);
  return m[1]!.replace(/&amp;/g, '&');
}

export interface AuthorizeParams {
  clientId: string;
  redirectUri: string;
  scope?: string;
  challenge?: string;
  state?: string;
  nonce?: string;
  prompt?: string;
  responseMode?: string;
  extra?: Record<string, string>;
}

export function authorizeUrl(lapis: TestLapis, tenant: string, p: AuthorizeParams): string {
  const q = new URLSearchParams({
    client_id: p.clientId, response_type: 'code', redirect_uri: p.redirectUri,
    scope: p.scope ?? 'https://webpubsub.azure.com/.default openid profile offline_access',
    ...(p.challenge ? { code_challenge: p.challenge, code_challenge_method: 'S256' } : {}),
    ...(p.state ? { state: p.state } : {}), ...(p.nonce ? { nonce: p.nonce } : {}), ...(p.prompt ? { prompt: p.prompt } : {}),
    ...(p.responseMode ? { response_mode: p.responseMode } : {}), ...p.extra,
  });
  return `${host(lapis.ready)}/${tenant}/oauth2/v2.0/authorize?${q}`;
}

/** GET authorize, then post the sign-in form: returns the answer (a 302 with the code, or a page). */
export async function signIn(lapis: TestLapis, jar: CookieJar, tenant: string, p: AuthorizeParams, user: { login: string; password: string }): Promise<Page> {
  const page = await browse(jar, authorizeUrl(lapis, tenant, p));
  assert.equal(page.status, 200, `the sign-in page: ${page.text.slice(0, 400)}`);
  const csrf = hiddenValue(page.text, 'csrf');
  assert.ok(csrf, 'the form carries an anti-forgery token');
  return browse(jar, `${host(lapis.ready)}${formAction(page.text)}`, { login: user.login, passwd: user.password, csrf });
}

/** The code from a query-mode redirect (and checks the state came back). */
export function codeFrom(page: Page, expect: { redirectUri: string; state?: string }): string {
  assert.equal(page.status, 302, `a redirect with the code: ${page.text.slice(0, 400)}`);
  const to = new URL(page.location!);
  assert.ok(page.location!.startsWith(expect.redirectUri), `redirected to ${page.location}`);
  if (expect.state) assert.equal(to.searchParams.get('state'), expect.state);
  const code = to.searchParams.get('code');
  assert.ok(code, `a code in ${page.location}`);
  return code;
}

export function tokenUrl(lapis: TestLapis, tenant: string): string {
  return `${host(lapis.ready)}/${tenant}/oauth2/v2.0/token`;
}
