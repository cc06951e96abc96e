import { randomUUID } from 'node:crypto';
import type { Decision } from '../evaluate.ts';
import type { PermissionKind } from '../patterns.ts';
import type { RoleDefinition } from '../model.ts';
import { redactClaims, redactPath } from './redact.ts';
import { nearestMissingAssignment } from './suggest.ts';
import type { DenialInput, DenialRecord } from './types.ts';

export const DEFAULT_DENIAL_CAPACITY = 1000;
const MAX_CONSIDERED = 50;
const MAX_MESSAGE = 2048;
export const ROLE_ASSIGNMENTS_READ = 'Microsoft.Authorization/roleAssignments/read';

/** What the log needs from access control. */
export interface DenialLogDeps {
  decide(req: { principalId: string; scope: string; action?: string; dataAction?: string }): Decision;
  rolesAssignableAt(scope: string): RoleDefinition[];
  check(req: { principalId: string; scope: string; action: string }): boolean;
  capacity?: number;
  node?: string;
  now?: () => Date;
}

/** What a surface puts in its answer: the id (a header) and the sentence for the error message. */
export interface DenialReceipt {
  id: string;
  sentence: string;
}

/**
 * "Why was this denied": every 401/403 a surface answers is recorded here with its explanation,
 * in a bounded ring kept in memory on this node (the oldest record goes first; nothing is stored
 * or shared between nodes). The caller gets the record's id in `x-ms-lapis-denial-id` and a link in
 * the message; the record is readable by the denied principal itself or by whoever may read role
 * assignments at its scope (docs/rbac.md "Why was this denied").
 */
export class DenialLog {
  readonly #deps: DenialLogDeps;
  readonly #ring = new Map<string, DenialRecord>();
  readonly capacity: number;
  /** The portal's URL (`https://host/portal/`) for links; set once the portal is mounted. */
  portalUrl: string | undefined;
  /** This node's name, in records. */
  node: string;

  constructor(deps: DenialLogDeps) {
    this.#deps = deps;
    this.capacity = Math.max(1, Math.floor(deps.capacity ?? DEFAULT_DENIAL_CAPACITY));
    this.node = deps.node ?? 'node';
  }

  /** Records a refusal and returns what to tell the caller. Never throws: explaining is best effort. */
  record(input: DenialInput): DenialReceipt {
    const id = randomUUID();
    let decision: Decision | null = null;
    let missing = null;
    const principalId = input.principalId?.toLowerCase().slice(0, 64) ?? null;
    if (input.status === 403 && principalId && input.kind && input.operation) {
      try {
        decision = this.#deps.decide({ principalId, scope: input.scope, [input.kind]: input.operation });
        decision = { ...decision, considered: decision.considered.slice(0, MAX_CONSIDERED) };
        missing = nearestMissingAssignment(this.#deps.rolesAssignableAt(input.scope), input.kind, input.operation, input.scope) ?? null;
      } catch { /* a scope or operation the engine refuses: keep the record without the trace */ }
    }
    const rec: DenialRecord = {
      id, time: (this.#deps.now?.() ?? new Date()).toISOString(), node: this.node,
      status: input.status, code: input.code.slice(0, 100), surface: input.surface, resource: input.resource?.slice(0, 100) ?? null,
      method: input.method.slice(0, 10).toUpperCase(), path: redactPath(input.url),
      principalId, claimsVerified: input.status === 403, claims: redactClaims(input.claims),
      kind: input.kind ?? null, operation: input.operation?.slice(0, 512) ?? null, scope: input.scope.slice(0, 2048),
      failure: input.failure ?? null, message: input.message.slice(0, MAX_MESSAGE), decision, missingAssignment: missing,
    };
    this.#ring.set(id, rec);
    while (this.#ring.size > this.capacity) this.#ring.delete(this.#ring.keys().next().value!);
    return { id, sentence: this.sentence(id) };
  }

  /** The sentence appended to the refused call's message. */
  sentence(id: string): string {
    return this.portalUrl
      ? `See ${this.portalUrl}#/denied/${id} for why (denial id ${id}).`
      : `Denial id ${id}: GET /providers/Microsoft.Lapis/denials/${id} on the management endpoint explains it.`;
  }

  get size(): number {
    return this.#ring.size;
  }

  get(id: string): DenialRecord | undefined {
    return this.#ring.get(id.toLowerCase());
  }

  /** May this principal read this record? The denied principal itself, or a reader of role assignments at its scope. */
  mayRead(rec: DenialRecord, readerId: string): boolean {
    const reader = readerId.toLowerCase();
    if (rec.principalId !== null && rec.principalId === reader) return true;
    try {
      return this.#deps.check({ principalId: reader, scope: rec.scope, action: ROLE_ASSIGNMENTS_READ });
    } catch {
      return false;
    }
  }

  /** The newest first: records at or below `scope` (all with `/`) that `readerId` may read. */
  list(readerId: string, scope = '/', opts: { kind?: PermissionKind; top?: number } = {}): DenialRecord[] {
    const key = scope.toLowerCase().replace(/\/+$/, '');
    const out: DenialRecord[] = [];
    const top = Math.min(Math.max(1, opts.top ?? 100), this.capacity);
    for (const rec of [...this.#ring.values()].reverse()) {
      const s = rec.scope.toLowerCase();
      if (key !== '' && s !== key && !s.startsWith(`${key}/`)) continue;
      if (!this.mayRead(rec, readerId)) continue;
      out.push(rec);
      if (out.length >= top) break;
    }
    return out;
  }
}
