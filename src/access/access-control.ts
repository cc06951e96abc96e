import type { AccessState } from './access-state.ts';
import * as assignmentOps from './assignment-ops.ts';
import { OWNER_ROLE_ID } from './builtin-roles.ts';
import * as definitionOps from './definition-ops.ts';
import { normaliseRoleDefinitionName, parseRoleDefinitionInput } from './definitions.ts';
import { AccessError } from './errors.ts';
import { decide, type CompiledRole, type Decision } from './evaluate.ts';
import { DecisionCache } from './decision-cache.ts';
import type { Permission, RoleAssignment, RoleDefinition } from './model.ts';
import { operationOf, type AccessCheck, type AccessControlOptions, type CreateRoleAssignment, type ListRoleAssignments } from './requests.ts';
import { validateOperation } from './patterns.ts';
import { ScopeTree, type ScopeTreeInput } from './scope-tree.ts';
import { ROOT_SCOPE, parseScope, type ParsedScope } from './scope.ts';

export type { AccessCheck, AccessControlOptions, CreateRoleAssignment, ListRoleAssignments } from './requests.ts';
import { nameBasedGuid } from '../ids/index.ts';
import { AccessRecords } from './records.ts';
import { backfillClaims } from './store-writes.ts';
import { DenialLog } from './denials/index.ts';

/**
 * Azure RBAC for Lapis: role definitions (built-in and custom), role assignments, the scope tree,
 * and permission checks. Records live in memory (records.ts), follow the store's change feed (a
 * write through any node sharing the store is applied here too) and are written atomically in the
 * store (store-writes.ts: uniqueness by claims, updates by compare-and-swap); checks never touch
 * the store. Each (principal, scope) gets a cached list of the compiled roles that apply, plus a
 * memo of answers per operation; any change to assignments (for that principal), definitions or
 * the scope tree drops the affected entries before this node's write returns (and as soon as
 * another node's write arrives), so the next check sees it. The bodies of the definition and
 * assignment writes live in definition-ops.ts and assignment-ops.ts (files split by job); this
 * class owns the state they share (AccessState) and the cache.
 */
export class AccessControl {
  #tree: ScopeTree;
  readonly #records: AccessRecords;
  readonly #defs: Map<string, RoleDefinition>;
  readonly #compiled: Map<string, CompiledRole>;
  readonly #assignments: Map<string, RoleAssignment>;
  readonly #byPrincipal: Map<string, RoleAssignment[]>;
  readonly #cache: DecisionCache;
  readonly #changeListeners = new Set<() => void>();
  readonly #state: AccessState;
  /** "Why was this denied": this node's recent 401/403 records (denials/). */
  readonly denials: DenialLog;

  constructor(opts: AccessControlOptions) {
    const now = opts.now ?? (() => new Date());
    this.#tree = new ScopeTree(opts.scopeTree);
    this.#records = new AccessRecords(opts.store, {
      definitionsChanged: () => this.#invalidateAll(),
      principalChanged: (id) => this.#invalidatePrincipal(id),
      error: opts.onError ?? (() => {}),
    });
    this.#defs = this.#records.defs;
    this.#compiled = this.#records.compiled;
    this.#assignments = this.#records.assignments;
    this.#byPrincipal = this.#records.byPrincipal;
    this.#state = {
      store: opts.store, records: this.#records,
      defs: this.#defs, assignments: this.#assignments, byPrincipal: this.#byPrincipal,
      resolvePrincipal: opts.resolvePrincipal,
      tenantId: opts.tenantId ?? '00000000-0000-0000-0000-000000000000',
      tree: () => this.#tree,
      writes: {
        store: opts.store, records: this.#records, now,
        assignable: (def, target) => assignmentOps.assignable(this.#state, def, target),
        assignmentsOf: (principalId) => this.#byPrincipal.get(principalId) ?? [],
        assignmentsOfRole: (roleId) => [...this.#assignments.values()].filter((a) => a.roleDefinitionId === roleId),
      },
    };
    this.#cache = new DecisionCache({
      assignmentsOf: (id) => this.#byPrincipal.get(id) ?? [],
      role: (id) => this.#compiled.get(id),
      chainKeys: (scope) => this.#tree.ancestorKeys(parseScope(scope)),
    }, opts.cacheLimit);
    this.denials = new DenialLog({
      decide: (req) => this.decide(req),
      rolesAssignableAt: (scope) => this.roleDefinitionsAssignableAt(scope),
      check: (req) => this.check(req),
      capacity: opts.denialCapacity, node: opts.nodeName, now: opts.now,
    });
  }

  /**
   * Loads custom roles and assignments from the store (call once at start; changes are followed
   * from construction on), and gives records from before uniqueness claims existed theirs.
   */
  async load(): Promise<void> {
    await this.#records.load();
    await backfillClaims(this.#state.store, this.roleAssignments(), this.roleDefinitions().filter((d) => d.roleType === 'CustomRole'));
  }

  /** Resolves when every change seen on the feed so far has been applied (tests, orderly stop). */
  settled(): Promise<void> {
    return this.#records.settled();
  }

  /** Stops following the store's changes. */
  close(): void {
    this.#records.close();
    this.#changeListeners.clear();
  }

  // ---- scope tree ----------------------------------------------------------------------------

  get scopeTree(): ScopeTree {
    return this.#tree;
  }

  /** Replaces the management-group / subscription hierarchy (validated first; nothing changes on error). */
  setScopeTree(input: ScopeTreeInput): void {
    this.#tree = new ScopeTree(input);
    this.#invalidateAll();
  }

  /** Parses a scope and checks its subscription / management group is declared. */
  resolveScope(scope: string): ParsedScope {
    const p = parseScope(scope);
    this.#tree.assertKnown(p);
    return p;
  }

  /** The inheritance chain of a scope: itself, its ancestors, `/` last. */
  ancestors(scope: string): string[] {
    return this.#tree.ancestors(parseScope(scope));
  }

  // ---- role definitions ----------------------------------------------------------------------

  roleDefinitions(): RoleDefinition[] {
    return [...this.#defs.values()];
  }

  /** By GUID or any ARM id form; undefined when unknown or malformed. */
  getRoleDefinition(id: string): RoleDefinition | undefined {
    try {
      return this.#defs.get(normaliseRoleDefinitionName(id));
    } catch {
      return undefined;
    }
  }

  /** By display name, case-insensitively (former built-in names such as "… (Preview)" too). */
  findRoleDefinitionByName(roleName: string): RoleDefinition | undefined {
    return definitionOps.findRoleDefinitionByName(this.#state, roleName);
  }

  /** Custom roles assignable at `scope` (one of their assignable scopes is it or an ancestor) plus all built-ins. */
  roleDefinitionsAssignableAt(scope: string): RoleDefinition[] {
    const chain = new Set(this.#tree.ancestorKeys(parseScope(scope)));
    return this.roleDefinitions().filter((d) => d.assignableScopes.some((s) => chain.has(s.toLowerCase())));
  }

  /**
   * Creates or replaces a custom role. `name` is the GUID from the URL (generated when absent);
   * `body` is any of the three shapes `parseRoleDefinitionInput` reads. Validated as Azure does.
   */
  async putRoleDefinition(name: string | undefined, body: unknown, opts: { by?: string | null } = {}): Promise<{ definition: RoleDefinition; created: boolean }> {
    return definitionOps.putRoleDefinition(this.#state, name, body, opts.by ?? null);
  }

  /** Deletes a custom role; undefined when there is none by that id. Refused while assignments use it. */
  async deleteRoleDefinition(id: string): Promise<RoleDefinition | undefined> {
    return definitionOps.deleteRoleDefinition(this.#state, id);
  }

  /**
   * For a declarative config: creates or updates a custom role identified by its `name` (GUID) or,
   * failing that, by a GUID derived from its roleName, so re-applying the same file is a no-op.
   */
  async ensureRoleDefinition(body: unknown, opts: { by?: string | null } = {}): Promise<RoleDefinition> {
    const input = parseRoleDefinitionInput(body);
    const existing = input.name ? this.#defs.get(input.name) : this.findRoleDefinitionByName(input.roleName);
    const id = input.name ?? existing?.name ?? nameBasedGuid('lapis.roleDefinition', input.roleName.trim().toLowerCase());
    return (await this.putRoleDefinition(id, body, opts)).definition;
  }

  // ---- role assignments ----------------------------------------------------------------------

  roleAssignments(): RoleAssignment[] {
    return [...this.#assignments.values()];
  }

  getRoleAssignment(name: string): RoleAssignment | undefined {
    return this.#assignments.get(name.toLowerCase());
  }

  /**
   * Creates a role assignment (or, for the same name with the same principal, role and scope,
   * updates its description). Errors as ARM: malformed GUIDs, unknown scope anchors, unknown role
   * (RoleDefinitionDoesNotExist, also when the scope is outside its assignable scopes), unknown
   * principal (PrincipalNotFound), mismatched principal type, duplicates (RoleAssignmentExists).
   */
  async createRoleAssignment(req: CreateRoleAssignment): Promise<{ assignment: RoleAssignment; created: boolean }> {
    return assignmentOps.createRoleAssignment(this.#state, req);
  }

  /**
   * For a declarative config and the bootstrap: returns the assignment of this role to this
   * principal at this scope, creating it (with a name derived from the three) when missing.
   */
  async ensureRoleAssignment(req: Omit<CreateRoleAssignment, 'name'>): Promise<RoleAssignment> {
    const target = parseScope(req.scope);
    const roleId = normaliseRoleDefinitionName(req.roleDefinitionId);
    const principalId = String(req.principalId).toLowerCase();
    const existing = (this.#byPrincipal.get(principalId) ?? []).find((a) => a.roleDefinitionId === roleId && a.scope.toLowerCase() === target.key);
    if (existing) return existing;
    const name = nameBasedGuid('lapis.roleAssignment', target.key, roleId, principalId);
    return (await this.createRoleAssignment({ ...req, name })).assignment;
  }

  /** Deletes by name (and, when given, only if it lives at `scope`); undefined when there is none. */
  async deleteRoleAssignment(name: string, scope?: string): Promise<RoleAssignment | undefined> {
    return assignmentOps.deleteRoleAssignment(this.#state, name, scope);
  }

  /**
   * ARM's list at a scope: assignments at, above and below it; with `atScope`, at or above only;
   * optionally only one principal's.
   */
  listRoleAssignments(q: ListRoleAssignments): RoleAssignment[] {
    return assignmentOps.listRoleAssignments(this.#state, q);
  }

  /** Gives each principal Owner at `/`, idempotently (the bootstrap administrators). */
  async ensureBootstrapAssignments(principalIds: string[]): Promise<RoleAssignment[]> {
    const out: RoleAssignment[] = [];
    for (const id of principalIds) {
      out.push(await this.ensureRoleAssignment({ scope: ROOT_SCOPE, roleDefinitionId: OWNER_ROLE_ID, principalId: id, description: 'Lapis bootstrap administrator' }));
    }
    return out;
  }

  // ---- evaluation ----------------------------------------------------------------------------

  /** The hot path: true when some applicable assignment grants the operation. Never reads the store. */
  check(req: AccessCheck): boolean {
    const { kind, op } = operationOf(req);
    return this.#cache.allows(req.principalId, req.scope, kind, op);
  }

  /**
   * The data plane's `DataActionCheck` (see dataplane/webpubsub/auth/entra.ts): a malformed scope
   * denies rather than throws.
   */
  readonly dataActionCheck = (principalId: string, dataAction: string, scope: string): { allowed: boolean } => {
    try {
      return { allowed: this.check({ principalId, scope, dataAction }) };
    } catch (err) {
      if (err instanceof AccessError) return { allowed: false };
      throw err;
    }
  };

  /** The explainable decision: deciding assignment, role and pattern, and every assignment considered. */
  decide(req: AccessCheck): Decision {
    const { kind, op } = operationOf(req);
    validateOperation(op);
    const target = parseScope(req.scope);
    const chain = this.#tree.ancestors(target);
    const principalId = req.principalId.toLowerCase();
    return decide({
      principalId, scope: target.id, chain, levels: chain.map((s) => parseScope(s).level), kind, operation: op,
      assignments: this.#byPrincipal.get(principalId) ?? [],
      role: (id) => this.#compiled.get(id),
    });
  }

  /** The principal's effective permissions at a scope: one entry per applicable role's permission block (ARM's permissions API). */
  permissionsAt(principalId: string, scope: string): Permission[] {
    return this.#cache.roles(principalId, scope).flatMap((r) => r.def.permissions);
  }

  cacheStats(): { entries: number; hits: number; misses: number; invalidations: number } {
    return this.#cache.stats();
  }

  // ---- internals -----------------------------------------------------------------------------

  #invalidatePrincipal(principalId: string): void {
    this.#cache.dropPrincipal(principalId);
    this.#changed();
  }

  #invalidateAll(): void {
    this.#cache.dropAll();
    this.#changed();
  }

  /**
   * Called after any change to assignments, definitions or the scope tree, for pieces that keep
   * decisions of their own (a refused Key Vault reference is retried at once instead of later).
   */
  onChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  #changed(): void {
    if (this.#changeListeners.size === 0) return;
    // After the write that caused it has returned: listeners see the new state.
    queueMicrotask(() => {
      for (const l of this.#changeListeners) l();
    });
  }
}

export { AccessError };
