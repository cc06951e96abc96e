import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Directory } from './directory.ts';
import { E, EntraError } from './errors.ts';
import { PageError, RedirectError, parseAuthorizeRequest, type AuthorizeRequest } from './authorize-request.ts';
import type { InteractiveStore } from './interactive-store.ts';
import { logoutTargetAllowed } from './redirect-uris.ts';
import { errorPageBody, escapeHtml, hiddenInputs, sendPage, signInForm } from './signin-html.ts';
import { checkCsrf, csrfFor, type SessionStore, type SignInSession } from './signin-session.ts';
import { checkUserPassword } from './user-sign-in.ts';
import type { SmartLockout } from './lockout.ts';

export interface SignInDeps {
  directory: Directory;
  lockout: SmartLockout;
  sessions: SessionStore;
  state: InteractiveStore;
}

/** Our own fields in a sign-in form post; the rest of the body are authorize parameters. */
const FORM_FIELDS = new Set(['login', 'passwd', 'csrf', 'lapis_action']);

/**
 * `/{tenant}/oauth2/v2.0/authorize` (GET with the parameters in the query, POST with them in the
 * body), the sign-in form it shows, and `/{tenant}/oauth2/v2.0/logout`.
 */
export function authorizeRoutes(app: FastifyInstance, deps: SignInDeps): void {
  const { directory, sessions, state } = deps;

  const respondWithCode = async (reply: FastifyReply, ar: AuthorizeRequest, s: SignInSession, params: Map<string, string>, cookies: string[]) => {
    const code = await state.issueCode({
      tenantId: ar.tenant.id, clientId: ar.app.appId, userId: s.userId, scope: ar.scope, authTime: s.authTime,
      publicClient: ar.redirectKind !== 'web',
    }, { redirectUri: ar.redirectUri, codeChallenge: ar.codeChallenge, nonce: ar.nonce });
    const fields: Record<string, string | undefined> = { code, state: ar.state };
    if (params.get('client_info') === '1') fields.client_info = Buffer.from(JSON.stringify({ uid: s.userId, utid: s.tenantId })).toString('base64url');
    return sendAuthorizationResponse(reply, ar, fields, cookies);
  };

  const showForm = (req: FastifyRequest, reply: FastifyReply, ar: AuthorizeRequest, params: Map<string, string>, opts: { error?: string; session?: SignInSession; cookies?: string[] } = {}) => {
    const csrf = csrfFor(req);
    const action = `${req.url.split('?')[0]}?${new URLSearchParams([...params]).toString()}`;
    const other = opts.session ? `<form method="post" action="${escapeHtml(action)}">${hiddenInputs({ csrf: csrf.token, lapis_action: 'continue' })}
<p>Signed in as <strong>${escapeHtml(opts.session.userPrincipalName)}</strong></p><button type="submit" id="continue">Continue as ${escapeHtml(opts.session.userPrincipalName)}</button></form><p>Or use another account:</p>` : '';
    return sendPage(reply, {
      title: 'Sign in to your account', formTargets: [cspSource(ar.redirectUri)],
      cookies: [...(opts.cookies ?? []), ...(csrf.setCookie ? [csrf.setCookie] : [])],
      body: other + signInForm({ action, hidden: { csrf: csrf.token }, loginHint: ar.loginHint, error: opts.error, appName: ar.app.displayName }),
    });
  };

  const authorize = async (req: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply, params: Map<string, string>, submission?: Map<string, string>) => {
    let ar: AuthorizeRequest;
    try {
      ar = parseAuthorizeRequest(directory, req.params.tenant, params);
    } catch (err) {
      if (err instanceof PageError) return sendPage(reply, { title: 'Sign in', status: err.entra.status, body: errorPageBody(err.entra.aadsts, err.entra.message) });
      if (err instanceof RedirectError) return sendAuthorizationResponse(reply, err.request, redirectErrorFields(err.entra, err.request.state), []);
      throw err;
    }
    const current = await sessions.current(req);
    const session = current && current.tenantId === ar.tenant.id && directory.getUser(current.userPrincipalName)?.id === current.userId ? current : undefined;
    const hintFits = (s: SignInSession) => !ar.loginHint || ar.loginHint.toLowerCase() === s.userPrincipalName.toLowerCase();

    if (submission) {
      checkCsrf(req, submission);
      if (submission.get('lapis_action') === 'continue') {
        return session ? respondWithCode(reply, ar, session, params, []) : showForm(req, reply, ar, params);
      }
      const outcome = await checkUserPassword(directory, deps.lockout, ar.tenant, submission.get('login') ?? '', submission.get('passwd') ?? '');
      if (outcome instanceof EntraError) return showForm(req, reply, ar, params, { error: pageMessage(outcome) });
      const started = await sessions.create(outcome);
      return respondWithCode(reply, ar, started.session, params, [started.setCookie]);
    }
    if (ar.prompt === 'none') {
      if (!session) return sendAuthorizationResponse(reply, ar, redirectErrorFields(E.loginRequired(), ar.state), []);
      if (!hintFits(session)) return sendAuthorizationResponse(reply, ar, redirectErrorFields(E.interactionRequired(), ar.state), []);
      return respondWithCode(reply, ar, session, params, []);
    }
    if (session && ar.prompt === undefined && hintFits(session)) return respondWithCode(reply, ar, session, params, []);
    return showForm(req, reply, ar, params, { session: ar.prompt === 'select_account' ? session : undefined });
  };

  const paramsOf = (req: FastifyRequest): Map<string, string> => {
    const out = new Map<string, string>();
    for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
      if (typeof v !== 'string') throw E.malformed(`The parameter '${k.slice(0, 64)}' is repeated.`);
      out.set(k, v);
    }
    return out;
  };

  const onError = (reply: FastifyReply, err: unknown) => {
    if (err instanceof EntraError) return sendPage(reply, { title: 'Sign in', status: err.status, body: errorPageBody(err.aadsts, err.message) });
    throw err;
  };

  for (const path of ['/:tenant/oauth2/v2.0/authorize']) {
    app.get(path, async (req: FastifyRequest<{ Params: { tenant: string } }>, reply) => {
      try {
        return await authorize(req, reply, paramsOf(req));
      } catch (err) {
        return onError(reply, err);
      }
    });
    app.post(path, async (req: FastifyRequest<{ Params: { tenant: string } }>, reply) => {
      try {
        const body = req.body instanceof Map ? req.body as Map<string, string> : new Map<string, string>();
        const params = paramsOf(req);
        const own = new Map<string, string>();
        for (const [k, v] of body) {
          if (FORM_FIELDS.has(k)) own.set(k, v);
          else if (params.has(k)) throw E.malformed(`The parameter '${k.slice(0, 64)}' is repeated.`);
          else params.set(k, v);
        }
        return await authorize(req, reply, params, own.has('csrf') || own.has('login') || own.has('lapis_action') ? own : undefined);
      } catch (err) {
        return onError(reply, err);
      }
    });
  }

  // Sign-out (RP-initiated logout). Ending the session is a state change, so it takes a form post with the anti-forgery token.
  const logoutPage = async (req: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) => {
    try {
      const params = paramsOf(req);
      const tenant = directory.resolveTenant(req.params.tenant);
      if (!tenant) throw E.tenantNotFound(req.params.tenant.slice(0, 64));
      const target = logoutTarget(directory, typeof tenant === 'string' ? undefined : tenant.id, params);
      const session = await sessions.current(req);
      if (req.method === 'POST') {
        const form = req.body instanceof Map ? req.body as Map<string, string> : new Map<string, string>();
        checkCsrf(req, form);
        const clear = await sessions.end(req);
        if (target) return reply.header('set-cookie', clear).redirect(withParams(target, { state: params.get('state') }, 'query'), 302);
        return sendPage(reply, { title: 'Signed out', cookies: [clear], body: '<h1>You signed out of your account</h1><p>It\'s a good idea to close all browser windows.</p>' });
      }
      if (!session) {
        if (target) return reply.redirect(withParams(target, { state: params.get('state') }, 'query'), 302);
        return sendPage(reply, { title: 'Signed out', body: '<h1>You signed out of your account</h1>' });
      }
      const csrf = csrfFor(req);
      const action = `${req.url.split('?')[0]}?${new URLSearchParams([...params]).toString()}`;
      return sendPage(reply, {
        title: 'Sign out', cookies: csrf.setCookie ? [csrf.setCookie] : [], formTargets: target ? [cspSource(target)] : [],
        body: `<h1>Sign out</h1><p>Sign out <strong>${escapeHtml(session.userPrincipalName)}</strong>?</p><form method="post" action="${escapeHtml(action)}">${hiddenInputs({ csrf: csrf.token })}<button type="submit" id="signout">Sign out</button></form>`,
      });
    } catch (err) {
      return onError(reply, err);
    }
  };
  app.get('/:tenant/oauth2/v2.0/logout', logoutPage);
  app.post('/:tenant/oauth2/v2.0/logout', logoutPage);
}

/** The post-logout redirect, when a registered redirect or logout URL of the client (or of any app of the tenant) names it. */
function logoutTarget(dir: Directory, tenantId: string | undefined, params: Map<string, string>): string | undefined {
  const target = params.get('post_logout_redirect_uri');
  if (!target || target.length > 2048) return undefined;
  const clientId = params.get('client_id');
  const apps = clientId ? [dir.findApplication(clientId)].filter((a) => a !== undefined) : dir.applications(tenantId);
  return apps.some((a) => (!tenantId || a.tenantId === tenantId) && logoutTargetAllowed(a, target)) ? target : undefined;
}

/** The CSP source allowing a redirect URI: its origin, or its scheme for a native app's custom scheme (whose origin is opaque). */
function cspSource(uri: string): string {
  const u = new URL(uri);
  return u.origin === 'null' ? u.protocol : u.origin;
}

function pageMessage(err: EntraError): string {
  if (err.aadsts === 50126) return 'Your account or password is incorrect. (AADSTS50126)';
  return err.message;
}

function redirectErrorFields(err: EntraError, state: string | undefined): Record<string, string | undefined> {
  return { error: err.error, error_description: err.message, error_uri: `https://login.microsoftonline.com/error?code=${err.aadsts}`, state };
}

function withParams(uri: string, fields: Record<string, string | undefined>, mode: 'query' | 'fragment'): string {
  const qs = new URLSearchParams(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined)).toString();
  if (!qs) return uri;
  if (mode === 'fragment') return `${uri.split('#')[0]}#${qs}`;
  return `${uri}${uri.includes('?') ? '&' : '?'}${qs}`;
}

/** The authorization response (code or error) in the requested response mode. */
function sendAuthorizationResponse(reply: FastifyReply, to: Pick<AuthorizeRequest, 'redirectUri' | 'responseMode'>, fields: Record<string, string | undefined>, cookies: string[]): FastifyReply {
  if (to.responseMode === 'form_post') {
    return sendPage(reply, {
      title: 'Working...', autoSubmit: true, cookies, formTargets: [cspSource(to.redirectUri)],
      body: `<form method="post" action="${escapeHtml(to.redirectUri)}">${hiddenInputs(fields)}<noscript><p>Script is disabled. Click Submit to continue.</p><button type="submit">Submit</button></noscript></form>`,
    });
  }
  if (cookies.length) void reply.header('set-cookie', cookies);
  return reply.header('cache-control', 'no-store').redirect(withParams(to.redirectUri, fields, to.responseMode), 302);
}
