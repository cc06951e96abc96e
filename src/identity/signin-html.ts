import type { FastifyReply } from 'fastify';

/** Where the sign-in pages' own stylesheet and script are served (same origin: the CSP allows only 'self'). */
export const ASSET_PREFIX = '/lapis-signin';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
}

/**
 * The content security policy of every sign-in page: nothing but our own stylesheet and script,
 * no framing, forms posting only to us and (for the authorization response) to the validated
 * redirect URI's origin. Chromium applies form-action to the redirect that follows a form post
 * too, so the sign-in form's page names the redirect origin as well.
 */
export function contentSecurityPolicy(formTargets: string[] = []): string {
  const targets = ["'self'", ...formTargets.map((t) => t.replace(/[;,\s]/g, ''))].join(' ');
  return `default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action ${targets}; frame-ancestors 'none'; base-uri 'none'`;
}

export interface PageOptions {
  title: string;
  /** Already-escaped HTML of the page body. */
  body: string;
  status?: number;
  formTargets?: string[];
  /** Adds the script that submits the first form at once (the form_post response). */
  autoSubmit?: boolean;
  cookies?: string[];
}

export function sendPage(reply: FastifyReply, opts: PageOptions): FastifyReply {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title><link rel="stylesheet" href="${ASSET_PREFIX}/style.css"></head>
<body><main class="card"><p class="brand">Lapis</p>${opts.body}</main>${opts.autoSubmit ? `<script src="${ASSET_PREFIX}/autosubmit.js"></script>` : ''}</body></html>`;
  if (opts.cookies?.length) void reply.header('set-cookie', opts.cookies);
  return reply.code(opts.status ?? 200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', contentSecurityPolicy(opts.formTargets))
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .send(html);
}

export function hiddenInputs(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('');
}

/** An error page: Entra shows the AADSTS code and message to the person, never redirecting to an unverified address. */
export function errorPageBody(code: number, message: string): string {
  return `<h1>Sorry, but we're having trouble signing you in.</h1><p class="error" role="alert">AADSTS${code}: ${escapeHtml(message.replace(/^AADSTS\d+: /, ''))}</p>`;
}

/** The username and password form (Entra's field names: `login`, `passwd`). */
export function signInForm(opts: { action: string; hidden: Record<string, string | undefined>; loginHint?: string; error?: string; heading?: string; appName?: string }): string {
  return `<h1>${escapeHtml(opts.heading ?? 'Sign in')}</h1>
${opts.appName ? `<p>to continue to <strong>${escapeHtml(opts.appName)}</strong></p>` : ''}
${opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : ''}
<form method="post" action="${escapeHtml(opts.action)}">${hiddenInputs(opts.hidden)}
<label for="login">Email, phone, or Skype</label><input id="login" name="login" type="text" autocomplete="username" required value="${escapeHtml(opts.loginHint ?? '')}">
<label for="passwd">Password</label><input id="passwd" name="passwd" type="password" autocomplete="current-password" required>
<button type="submit" id="idSIButton9">Sign in</button></form>`;
}

const STYLE = `body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;margin:0;display:flex;justify-content:center}
.card{background:#fff;margin-top:8vh;padding:44px;width:min(440px,90vw);box-shadow:0 2px 6px rgba(0,0,0,.2)}
.brand{font-weight:600;color:#0067b8;margin:0 0 16px}h1{font-size:24px;font-weight:600;margin:0 0 16px}
label{display:block;margin-top:12px;font-size:14px}input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:6px 0;border:0;border-bottom:1px solid #666;font-size:15px}
button{margin-top:24px;background:#0067b8;color:#fff;border:0;padding:8px 24px;font-size:15px;cursor:pointer}button.secondary{background:#ccc;color:#000;margin-right:8px}
.error{color:#e81123}code.user-code{font-size:20px;letter-spacing:2px}`;

/** Submits the first form at once: the form_post response, without inline script (the CSP forbids it). */
const AUTOSUBMIT = 'document.forms[0].submit();\n';

export function registerSignInAssets(app: { get: (path: string, handler: (req: unknown, reply: FastifyReply) => unknown) => unknown }): void {
  app.get(`${ASSET_PREFIX}/style.css`, (_req, reply) => reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLE));
  app.get(`${ASSET_PREFIX}/autosubmit.js`, (_req, reply) => reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(AUTOSUBMIT));
}
