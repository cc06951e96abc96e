import type { FastifyRequest } from 'fastify';
import { claimedPrincipal, DENIAL_HEADER, parseScope, unverifiedClaims, type AccessControl, type DenialRecord } from '../../access/index.ts';
import type { ArmCaller } from './auth.ts';
import { ARM, type ArmError } from './errors.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_TOP = 200;

/** ARM's list shape for denial records (newest first). */
const page = (records: DenialRecord[]) => ({ value: records });

/**
 * The Lapis extension `/providers/Microsoft.Lapis/denials[/{id}]`: read the records of this
 * node's recent 401/403 answers. A record is readable by the denied principal itself or by a
 * principal allowed `Microsoft.Authorization/roleAssignments/read` at the record's scope; the list
 * (`?scope=` a scope, default `/`; `?top=` at most 200) holds only records the caller may read.
 */
export function denialsApi(access: AccessControl) {
  return {
    handle(rest: string[], method: string, caller: ArmCaller, q: Record<string, unknown>): unknown {
      if (method !== 'GET') throw ARM.methodNotAllowed(method);
      if (rest.length === 0) {
        const scope = typeof q.scope === 'string' ? parseScope(q.scope).id : '/';
        const top = typeof q.top === 'string' && /^\d{1,4}$/.test(q.top) ? Math.min(Number(q.top), MAX_TOP) : 100;
        return page(access.denials.list(caller.principalId, scope, { top }));
      }
      if (rest.length !== 1) throw ARM.notFound(`/providers/Microsoft.Lapis/denials/${rest.join('/')}`);
      const id = rest[0]!;
      const rec = GUID.test(id) ? access.denials.get(id) : undefined;
      if (!rec) throw ARM.denialNotFound(id, access.denials.capacity);
      if (!access.denials.mayRead(rec, caller.principalId)) {
        throw ARM.authorizationFailed(caller.clientName, caller.principalId, 'Microsoft.Authorization/roleAssignments/read', rec.scope);
      }
      return rec;
    },
  };
}

/**
 * Records a management 401/403 and returns its id; the caller's message gets the link. 403s
 * carry the operation (`ArmError.denied`); 401s the token failure, with the refused token's
 * claims decoded without trust (scope `/`: only administrators of the root, or the token's own
 * principal, read those).
 */
export function recordArmDenial(access: AccessControl, a: ArmError, req: FastifyRequest, caller: ArmCaller | undefined): string | undefined {
  if (a.status !== 401 && !(a.status === 403 && a.denied)) return undefined;
  const claims = caller?.claims ?? unverifiedClaims(req.headers.authorization);
  const receipt = access.denials.record({
    status: a.status, code: a.code, surface: 'management', method: req.method, url: req.url,
    principalId: caller?.principalId ?? claimedPrincipal(claims), claims,
    ...a.denied ? { kind: a.denied.kind, operation: a.denied.operation, scope: a.denied.scope } : { scope: '/' },
    ...a.failure ? { failure: a.failure } : {},
    message: a.message,
  });
  return receipt.id;
}

export { DENIAL_HEADER };
