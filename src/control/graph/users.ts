import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Directory, User } from '../../identity/index.ts';
import { GE, GraphError } from './errors.ts';
import { userJson } from './shapes.ts';

// A user by object id or user principal name (as Graph addresses them), and the admin password
// reset: PATCH /users/{id} with passwordProfile.

/** Graph's answer for a password the directory does not accept. */
const weakPassword = () => new GraphError(400, 'Request_BadRequest', 'The specified password does not comply with password complexity requirements. Please provide a different password.');

export const passwordProfile = z.strictObject({
  password: z.string().max(256),
  forceChangePasswordNextSignIn: z.boolean().optional(),
  forceChangePasswordNextSignInWithMfa: z.boolean().optional(),
});

const patchBody = z.strictObject({
  displayName: z.string().min(1).max(256).optional(),
  // Lapis has no disabled accounts: true (what every user is) is accepted, false is refused below.
  accountEnabled: z.boolean().optional(),
  passwordProfile: passwordProfile.optional(),
});

/**
 * A password profile Lapis can honour: Entra's complexity rule, and no forced change at the next
 * sign-in (Lapis's sign-in page has no "change your password" step, so it refuses the flag rather
 * than accept it and let the user sign in with the administrator's password).
 */
export function checkPasswordProfile(p: z.infer<typeof passwordProfile>): void {
  if (p.forceChangePasswordNextSignIn === true || p.forceChangePasswordNextSignInWithMfa === true) {
    throw GE.badRequest("Lapis cannot make a user change their password at the next sign-in: set 'forceChangePasswordNextSignIn' (and '…WithMfa') to false.");
  }
  checkPasswordComplexity(p.password);
}

/** Entra's rule: at least 8 characters, and 3 of lower case, upper case, digits, symbols. */
export function checkPasswordComplexity(password: string): void {
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((r) => r.test(password)).length;
  if (password.length < 8 || kinds < 3) throw weakPassword();
}

export async function userRoutes(app: FastifyInstance, dir: Directory, opts: { bodyLimit: number }): Promise<void> {
  type UserReq = FastifyRequest<{ Params: { id: string } }>;
  const findUser = (ref: string): User => {
    const decoded = ref.slice(0, 200);
    const found = decoded.includes('@') ? dir.getUser(decoded) : dir.getUserById(decoded);
    if (!found) throw GE.notFound('user', ref);
    return found;
  };

  app.get('/v1.0/users/:id', async (req: UserReq) => ({
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity',
    ...userJson(findUser(req.params.id)),
  }));

  app.patch('/v1.0/users/:id', opts, async (req: UserReq, reply: FastifyReply) => {
    const u = findUser(req.params.id);
    const r = patchBody.safeParse(req.body ?? {});
    if (!r.success) {
      const first = r.error.issues[0]!;
      throw GE.badRequest(`Invalid value for '${first.path.join('.') || 'body'}': ${first.message}`);
    }
    const b = r.data;
    if (b.accountEnabled === false) throw GE.badRequest("Lapis has no disabled accounts: 'accountEnabled' can only be true (delete the user instead).");
    if (b.passwordProfile) checkPasswordProfile(b.passwordProfile);
    const done = await dir.updateUser(u.userPrincipalName, { displayName: b.displayName, password: b.passwordProfile?.password });
    if (!done) throw GE.notFound('user', req.params.id);
    return reply.code(204).send();
  });
}
