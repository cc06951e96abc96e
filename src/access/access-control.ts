import { randomUUID } from 'node:crypto';
import type { Store } from '../store/types.ts';
import { OWNER_ROLE_ID, ROLE_NAME_ALIASES } from './builtin-roles.ts';
import { normaliseRoleDefinitionName, parseRoleDefinitionInput, validateCustomRole } from './definitions.ts';
import { AE, AccessError } from './errors.ts';
import { decide, type CompiledRole, type Decision } from './evaluate.ts';
import { DecisionCache } from './decision-cache.ts';
import { STORE_KIND, type Permission, type PrincipalResolver, type RoleAssignment, type RoleDefinition } from './model.ts';
import { parseAssignmentRequest, type AccessCheck, type AccessControlOptions, type CreateRoleAssignment, type ListRoleAssignments } from './requests.ts';
import { validateOperation, type PermissionKind } from './patterns.ts';
import { ScopeTree, type ScopeTreeInput } from './scope-tree.ts';
import { ROOT_SCOPE, isGuid, parseScope, type ParsedScope } from './scope.ts';

export type { AccessCheck, AccessControlOptions, CreateRoleAssignment, ListRoleAssignments } from './requests.ts';
import { nameBasedGuid } from '../ids/index.ts';
import { AccessRecords } from './records.ts';
import { backfillClaims, removeAssignment, removeDefinition } from './store-writes.ts';
import { saveAssignment, saveDefinition, type WriteContext } from './saves.ts';

function operationOf(req: { action?: string; dataAction?: string }): { kind: PermissionKind; op: string } {
  if ((req.action === undefined) === (req.dataAction === undefined)) throw AE.invalidRequestContent('give exactly one of action and dataAction.');
  return req.action !== undefined ? { kind: 'action', op: req.action } : { kind: 'dataAction', op: req.dataAction! };
}

/**
 * Azure RBAC for Lapis: role definitions (built-in and custom), role assignments, the scope tree,
 * and permission checks. Records live in memory (records.ts), follow the store's change feed (a
 * write through any node sharing the store is applied here too) and are written atomically in the
 * store (store-writes.ts: uniqueness by claims, updates by compare-and-swap); checks never touch
 * the store. Each (principal, scope) gets a cached list of the compiled roles that apply, plus a
 * memo of answers per operation; any change to assignments (for that principal), definitions or
 * the scope tree drops the affected entries before this node's write returns (and as soon as
 * another node's write arrives), so the next check sees it.
 */
export class AccessControl {
  readonly #store: Store;
  readonly #resolve: PrincipalResolver;
  readonly #tenantId: string;
  readonly #now: () => Date;
  #tree: ScopeTree;
  readonly #records: AccessRecords;
  readonly #defs: Map<string, RoleDefinition>;
  readonly #compiled: Map<string, CompiledRole>;
  readonly #assignments: Map<string, RoleAssignment>;
  readonly #byPrincipal: Map<string, RoleAssignment[]>;
  readonly #cache: DecisionCache;
  readonly #changeListeners = new Set<() => void>();
  readonly #writes: WriteContext;

  constructor(opts: AccessControlOptions) {
    this.#store = opts.store;
    this.#resolve = opts.resolvePrincipal;
    this.#tenantId = opts.tenantId ?? '00000000-0000-0000-0000-000000000000';
    this.#now = opts.now ?? (() => new Date());
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
    this.#writes = {
      store: this.#store, records: this.#records, now: this.#now,
      assignable: (def, target) => this.#assignable(def, target),
      assignmentsOf: (principalId) => this.#byPrincipal.get(principalId) ?? [],
      assignmentsOfRole: (roleId) => [...this.#assignments.values()].filter((a) => a.roleDefinitionId === roleId),
    };
    this.#cache = new DecisionCache({
      assignmentsOf: (id) => this.#byPrincipal.get(id) ?? [],
      role: (id) => this.#compiled.get(id),
      chainKeys: (scope) => this.#tree.ancestorKeys(parseScope(scope)),
    }, opts.cacheLimit);
  }

  /**
   * Loads custom roles and assignments from the store (call once at start; changes are followed
   * from construction on), and gives records from before uniqueness claims existed theirs.
   */
  async load(): Promise<void> {
    await this.#records.load();
    await backfillClaims(this.#store, this.roleAssignments(), this.roleDefinitions().filter((d) => d.roleType === 'CustomRole'));
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
    const n = roleName.trim().toLowerCase();
    for (const d of this.#defs.values()) if (d.roleName.toLowerCase() === n) return d;
    const alias = ROLE_NAME_ALIASES[n];
    return alias ? this.#defs.get(alias) : undefined;
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
    const input = parseRoleDefinitionInput(body);
    const urlName = name === undefined ? undefined : normaliseRoleDefinitionName(name);
    if (urlName && input.name && urlName !== input.name) throw AE.invalidRequestContent(`the role definition name in the body (${input.name}) differs from the one in the URL (${urlName}).`);
    const id = urlName ?? input.name ?? randomUUID();
    const builtIn = this.#defs.get(id);
    if (builtIn?.roleType === 'BuiltInRole') throw AE.builtInRoleNotModifiable(builtIn.roleName);
    const v = validateCustomRole(input);
    for (const s of v.assignableScopes) if (s.subscriptionId && !this.#tree.hasSubscription(s.subscriptionId)) throw AE.subscriptionNotFound(s.subscriptionId);
    const roleName = input.roleName.trim();
    const clash = this.findRoleDefinitionByName(roleName);
    if (clash && clash.name !== id) throw AE.roleDefinitionWithSameNameExists();
    return saveDefinition(this.#writes, id, { roleName, description: input.description, permissions: v.permissions, assignableScopes: v.assignableScopes.map((s) => s.id) }, opts.by ?? null);
  }

  /** Deletes a custom role; undefined when there is none by that id. Refused while assignments use it. */
  async deleteRoleDefinition(id: string): Promise<RoleDefinition | undefined> {
    const name = normaliseRoleDefinitionName(id);
    const def = this.#defs.get(name);
    if (def?.roleType === 'BuiltInRole') throw AE.builtInRoleNotModifiable(def.roleName);
    const using = [...this.#assignments.values()].filter((a) => a.roleDefinitionId === name).length;
    if (using) throw AE.roleDefinitionHasAssignments(using);
    const before = this.#records.before(STORE_KIND.roleDefinition, name);
    const removed = await removeDefinition(this.#store, name);
    await this.#records.applyOwn(STORE_KIND.roleDefinition, name, before, undefined);
    return removed ?? def;
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
    const { name, roleId, principalId, given, description } = parseAssignmentRequest(req);
    const target = this.resolveScope(req.scope);

    const def = this.#defs.get(roleId);
    if (!def) throw AE.roleDefinitionDoesNotExist(roleId, 400);
    if (!this.#assignable(def, target)) {
      throw AE.roleDefinitionDoesNotExist(roleId, 400, `Role '${def.roleName}' is not assignable at scope '${target.id}'; its assignable scopes are ${def.assignableScopes.map((s) => `'${s}'`).join(', ')}.`);
    }
    const principal = this.#resolve(principalId);
    if (!principal) throw AE.principalNotFound(principalId, this.#tenantId);
    if (given && given !== principal.principalType) throw AE.unmatchedPrincipalType(principalId, principal.principalType, given);

    return saveAssignment(this.#writes, {
      key: name.toLowerCase(), scope: target, roleDefinitionId: roleId, principalId, principalType: principal.principalType, description, by: req.createdBy ?? null,
    });
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
    if (!isGuid(name)) throw AE.invalidRoleAssignmentId(name);
    const key = scope === undefined ? undefined : parseScope(scope).key;
    const a = this.#assignments.get(name.toLowerCase());
    if (!a || (key !== undefined && a.scope.toLowerCase() !== key)) return undefined;
    const before = this.#records.before(STORE_KIND.roleAssignment, a.name);
    const removed = await removeAssignment(this.#store, a.name);
    await this.#records.applyOwn(STORE_KIND.roleAssignment, a.name, before, undefined);
    return removed ?? a;
  }

  /**
   * ARM's list at a scope: assignments at, above and below it; with `atScope`, at or above only;
   * optionally only one principal's.
   */
  listRoleAssignments(q: ListRoleAssignments): RoleAssignment[] {
    const target = parseScope(q.scope);
    const above = new Set(this.#tree.ancestorKeys(target));
    const pid = q.principalId?.toLowerCase();
    const pool = pid ? this.#byPrincipal.get(pid) ?? [] : [...this.#assignments.values()];
    return pool.filter((a) => {
      const k = a.scope.toLowerCase();
      if (above.has(k)) return true;
      if (q.atScope) return false;
      return this.#tree.ancestorKeys(parseScope(a.scope)).includes(target.key);
    });
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

  #assignable(def: RoleDefinition, target: ParsedScope): boolean {
    const chain = new Set(this.#tree.ancestorKeys(target));
    return def.assignableScopes.some((s) => chain.has(s.toLowerCase()));
  }

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
