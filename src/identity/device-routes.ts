import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { E, EntraError } from './errors.ts';
import type { SignInDeps } from './authorize-routes.ts';
import type { DeviceRecord } from './interactive-store.ts';
import { parseScope, resolveResource } from './resources.ts';
import { errorPageBody, escapeHtml, hiddenInputs, sendPage, signInForm } from './signin-html.ts';
import { checkCsrf, csrfFor, type SignInSession } from './signin-session.ts';
import { checkUserPassword } from './user-sign-in.ts';
import { ensureWellKnownClient } from './well-known-clients.ts';

const OIDC_ONLY = /^(?:\s*(?:openid|profile|offline_access|email)\s*)*$/i;

/**
 * The device authorization grant (RFC 8628) as Entra serves it: `POST /{tenant}/oauth2/v2.0/devicecode`
 * hands out a device code and a user code; the person opens `{authority}/devicelogin`, enters the
 * code, signs in and approves; the device's polling of the token endpoint then gets the tokens.
 */
export function deviceRoutes(app: FastifyInstance, deps: SignInDeps & { authorityHost: string }): void {
  const { directory, sessions, state } = deps;
  const verificationUri = `${deps.authorityHost}/devicelogin`;

  // v1 (`/oauth2/devicecode`, where MSAL derives it for the `adfs` authority `az` uses) and v2.
  const deviceCode = async (req: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) => {
    try {
      if (!(req.body instanceof Map)) throw E.malformed("The request body must be 'application/x-www-form-urlencoded'.");
      const f = req.body as Map<string, string>;
      const resolved = directory.resolveTenant(req.params.tenant);
      if (!resolved) throw E.tenantNotFound(req.params.tenant.slice(0, 64));
      const clientId = f.get('client_id');
      if (!clientId) throw E.missingParam('client_id');
      await ensureWellKnownClient(directory, typeof resolved === 'string' ? directory.defaultTenant.id : resolved.id, clientId);
      const client = typeof resolved === 'string' ? directory.findApplication(clientId) : directory.getApplication(resolved.id, clientId);
      if (!client || client.appId !== clientId.toLowerCase()) throw E.appNotFound(clientId.slice(0, 64), typeof resolved === 'string' ? resolved : resolved.id);
      // Entra: the device code flow needs "Allow public client flows" on the registration.
      if (!client.isFallbackPublicClient) throw E.notPublicClient();
      const resource = f.get('resource');
      const requested = f.get('scope') ?? (resource ? `${resource.replace(/\/+$/, '')}/.default` : undefined);
      if (!requested) throw E.missingParam('scope');
      const scope = OIDC_ONLY.test(requested) ? `${requested} https://graph.microsoft.com/User.Read`.trim() : requested;
      const tenant = directory.getTenant(client.tenantId)!;
      resolveResource(directory, tenant, parseScope(scope, false).resource);
      const { deviceCode, record } = await state.startDevice({ tenantId: tenant.id, clientId: client.appId, scope, publicClient: true });
      return reply.header('cache-control', 'no-store').send({
        user_code: record.userCode,
        device_code: deviceCode,
        verification_uri: verificationUri,
        expires_in: Math.round((record.expiresAt - Date.now()) / 1000),
        interval: record.interval,
        message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${record.userCode} to authenticate.`,
      });
    } catch (err) {
      if (!(err instanceof EntraError)) throw err;
      return reply.code(err.status).header('cache-control', 'no-store').send(err.body());
    }
  };
  app.post('/:tenant/oauth2/v2.0/devicecode', deviceCode);
  app.post('/:tenant/oauth2/devicecode', deviceCode);

  const codeForm = (req: FastifyRequest, reply: FastifyReply, error?: string) => {
    const csrf = csrfFor(req);
    return sendPage(reply, {
      title: 'Enter code', cookies: csrf.setCookie ? [csrf.setCookie] : [],
      body: `<h1>Enter code</h1><p>Enter the code displayed on your app or device.</p>${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/devicelogin">${hiddenInputs({ csrf: csrf.token })}<label for="otc">Code</label><input id="otc" name="otc" type="text" autocomplete="off" required><button type="submit" id="idSIButton9">Next</button></form>`,
    });
  };

  const confirmPage = (reply: FastifyReply, csrfToken: string, rec: DeviceRecord, s: SignInSession, cookies: string[]) => {
    const appName = directory.getApplication(rec.tenantId, rec.clientId)?.displayName ?? rec.clientId;
    return sendPage(reply, {
      title: 'Are you trying to sign in?', cookies,
      body: `<h1>Are you trying to sign in to ${escapeHtml(appName)}?</h1><p>Signed in as <strong>${escapeHtml(s.userPrincipalName)}</strong>.
Only continue if you started this sign-in on your own device.</p><form method="post" action="/devicelogin">${hiddenInputs({ csrf: csrfToken, otc: rec.userCode })}
<button type="submit" name="lapis_action" value="decline" class="secondary" id="decline">Cancel</button><button type="submit" name="lapis_action" value="approve" id="idSIButton9">Continue</button></form>`,
    });
  };

  app.get('/devicelogin', async (req, reply) => codeForm(req, reply));
  app.post('/devicelogin', async (req, reply) => {
    try {
      const f = req.body instanceof Map ? req.body as Map<string, string> : new Map<string, string>();
      checkCsrf(req, f);
      const csrf = csrfFor(req);
      const rec = await state.deviceByUserCode(f.get('otc') ?? '');
      if (!rec) return codeForm(req, reply, "That code didn't work, or it has expired. Check the code and try again.");
      const tenant = directory.getTenant(rec.tenantId)!;
      const current = await sessions.current(req);
      let session = current && current.tenantId === rec.tenantId && directory.getUser(current.userPrincipalName)?.id === current.userId ? current : undefined;
      const cookies: string[] = [];
      if (f.has('login')) {
        const outcome = await checkUserPassword(directory, deps.lockout, tenant, f.get('login') ?? '', f.get('passwd') ?? '');
        if (outcome instanceof EntraError) {
          const error = outcome.aadsts === 50126 ? 'Your account or password is incorrect. (AADSTS50126)' : outcome.message;
          return sendPage(reply, { title: 'Sign in', body: signInForm({ action: '/devicelogin', hidden: { csrf: csrf.token, otc: rec.userCode }, error }) });
        }
        const started = await sessions.create(outcome);
        session = started.session;
        cookies.push(started.setCookie);
      }
      if (!session) return sendPage(reply, { title: 'Sign in', body: signInForm({ action: '/devicelogin', hidden: { csrf: csrf.token, otc: rec.userCode } }) });
      const action = f.get('lapis_action');
      if (action === 'approve' || action === 'decline') {
        const done = await state.decideDevice(rec.id, action === 'approve' ? { approve: true, userId: session.userId, authTime: session.authTime } : { approve: false });
        if (!done) return codeForm(req, reply, "That code didn't work, or it has expired. Check the code and try again.");
        const appName = directory.getApplication(rec.tenantId, rec.clientId)?.displayName ?? rec.clientId;
        return sendPage(reply, {
          title: 'Device sign-in', cookies,
          body: action === 'approve'
            ? `<h1 id="done">You have signed in to ${escapeHtml(appName)} on your device.</h1><p>You may now close this window.</p>`
            : `<h1 id="done">Sign-in cancelled.</h1><p>${escapeHtml(appName)} was not signed in. You may now close this window.</p>`,
        });
      }
      return confirmPage(reply, csrf.token, rec, session, cookies);
    } catch (err) {
      if (!(err instanceof EntraError)) throw err;
      return sendPage(reply, { title: 'Device sign-in', status: err.status, body: errorPageBody(err.aadsts, err.message) });
    }
  });
}
