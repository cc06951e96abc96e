import type { FastifyInstance } from 'fastify';
import { authorizeRoutes, type SignInDeps } from './authorize-routes.ts';
import { deviceRoutes } from './device-routes.ts';
import { E, EntraError } from './errors.ts';
import { registerFormParser } from './form.ts';
import { errorPageBody, registerSignInAssets, sendPage } from './signin-html.ts';

/**
 * Everything a person's browser sees of the identity service: the authorize endpoint with its
 * sign-in form, the device login pages, sign-out, and the pages' stylesheet and script. Errors
 * here are pages (Entra's "Sorry, but we're having trouble signing you in"), except the device
 * code endpoint's, which are JSON for the device.
 */
export async function signInRoutes(app: FastifyInstance, deps: SignInDeps & { authorityHost: string }): Promise<void> {
  registerFormParser(app);
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const entra = err instanceof EntraError ? err
      : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? E.malformed('The request body is too large.')
        : (err.statusCode ?? 500) < 500 ? E.malformed(err.message.slice(0, 200)) : undefined;
    if (!entra) {
      req.log.error({ err }, 'sign-in endpoint failed');
      const e = E.serverError();
      return sendPage(reply, { title: 'Sign in', status: 500, body: errorPageBody(e.aadsts, e.message) });
    }
    return sendPage(reply, { title: 'Sign in', status: entra.status, body: errorPageBody(entra.aadsts, entra.message) });
  });
  registerSignInAssets(app);
  authorizeRoutes(app, deps);
  deviceRoutes(app, { ...deps, authorityHost: deps.authorityHost.replace(/\/+$/, '') });
}
