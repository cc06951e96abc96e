import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Store } from '../store/types.ts';
import { BUILT_IN_ROLES, OWNER_ROLE_ID, ROLE_NAME_ALIASES } from './builtin-roles.ts';
import { normaliseRoleDefinitionName, parseRoleDefinitionInput, validateCustomRole } from './definitions.ts';
import { AE, AccessError } from './errors.ts';
import { compileRole, decide, roleAllows, type CompiledRole, type Decision } from './evaluate.ts';
import { PRINCIPAL_TYPES, STORE_KIND, type Permission, type PrincipalResolver, type PrincipalType, type RoleAssignment, type RoleDefinition } from './model.ts';
import { validateOperation, type PermissionKind } from './patterns.ts';
import { ScopeTree, type ScopeTreeInput } from './scope-tree.ts';
import { ROOT_SCOPE, isGuid, parseScope, type ParsedScope } from './scope.ts';
import { nameBasedGuid } from '../ids/index.ts';

export interface AccessControlOptions {
  store: Store;
  /** Resolves an object id to a user or service principal (apps and managed identities). */
  resolvePrincipal: PrincipalResolver;
  /** The directory's tenant, for Azure-shaped messages. */
  tenantId?: string;
  scopeTree?: ScopeTreeInput;
  now?: () => Date;
  /** Cached (principal, scope) entries kept at most; the oldest go first. Default 20 000. */
  cacheLimit?: number;
}

/** A permission check: exactly one of `action` (control plane) and `dataAction` (data plane). */
export interface AccessCheck {
  principalId: string;
  /** Scope string of the target: a resource id, or a hub below a Web PubSub resource, … */
  scope: string;
  action?: string;
  dataAction?: string;
}

export interface CreateRoleAssignment {
  /** GUID; generated when absent. */
  name?: string;
  scope: string;
  /** GUID or any ARM form `…/providers/Microsoft.Authorization/roleDefinitions/{guid}`. */
  roleDefinitionId: string;
  principalId: string;
  principalType?: string;
  description?: string | null;
  condition?: unknown;
  conditionVersion?: unknown;
  /** Object id of whoever creates it. */
  createdBy?: string | null;
}

export interface ListRoleAssignments {
  scope: string;
  /** ARM `$filter=atScope()`: only assignments at the scope or above it. */
  atScope?: boolean;
  principalId?: string;
}

interface CacheEntry {
  roles: CompiledRole[];
  memo: Map<string, boolean>;
}

const MEMO_LIMIT = 256;
const DEFAULT_CACHE_LIMIT = 20_000;

function operationOf(req: { action?: string; dataAction?: string }): { kind: PermissionKind; op: string } {
  if ((req.action === undefined) === (req.dataAction === undefined)) throw AE.invalidRequestContent('give exactly one of action and dataAction.');
  return req.action !== undefined ? { kind: 'action', op: req.action } : { kind: 'dataAction', op: req.dataAction! };
}

/**
 * Azure RBAC for Lapis: role definitions (built-in and custom), role assignments, the scope tree,
 * and permission checks. Everything lives in memory, written through to the store; checks never
 * touch the store. Each (principal, scope) gets a cached list of the compiled roles that apply,
 * plus a memo of answers per operation; any change to assignments (for that principal),
 * definitions or the scope tree drops the affected entries before the change returns, so the very
 * next check sees it.
 */
export class AccessControl {
  readonly #store: Store;
  readonly #resolve: PrincipalResolver;
  readonly #tenantId: string;
  readonly #now: () => Date;
  #tree: ScopeTree;
  readonly #defs = new Map<string, RoleDefinition>();
  readonly #compiled = new Map<string, CompiledRole>();
  readonly #assignments = new Map<string, RoleAssignment>();
  readonly #byPrincipal = new Map<string, RoleAssignment[]>();
  readonly #cache: LRUCache<string, CacheEntry>;
  readonly #changeListeners = new Set<() => void>();
  readonly #stats = { hits: 0, misses: 0, invalidations: 0 };
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: AccessControlOptions) {
    this.#store = opts.store;
    this.#resolve = opts.resolvePrincipal;
    this.#tenantId = opts.tenantId ?? '00000000-0000-0000-0000-000000000000';
    this.#now = opts.now ?? (() => new Date());
    this.#cache = new LRUCache({ max: opts.cacheLimit ?? DEFAULT_CACHE_LIMIT });
    this.#tree = new ScopeTree(opts.scopeTree);
    for (const d of BUILT_IN_ROLES) this.#putDef(d);
  }

  /** Loads custom roles and assignments from the store (call once at start). */
  async load(): Promise<void> {
    for (const d of await this.#store.list<RoleDefinition>(STORE_KIND.roleDefinition)) {
      if (!this.#defs.get(d.name)?.roleType.startsWith('BuiltIn')) this.#putDef(d);
    }
    this.#assignments.clear();
    this.#byPrincipal.clear();
    for (const a of await this.#store.list<RoleAssignment>(STORE_KIND.roleAssignment)) this.#index(a);
    this.#invalidateAll();
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
    return this.#exclusive(async () => {
      const prior = this.#defs.get(id);
      if (prior?.roleType === 'BuiltInRole') throw AE.builtInRoleNotModifiable(prior.roleName);
      const v = validateCustomRole(input);
      for (const s of v.assignableScopes) if (s.subscriptionId && !this.#tree.hasSubscription(s.subscriptionId)) throw AE.subscriptionNotFound(s.subscriptionId);
      const roleName = input.roleName.trim();
      const clash = this.findRoleDefinitionByName(roleName);
      if (clash && clash.name !== id) throw AE.roleDefinitionWithSameNameExists();
      const def: RoleDefinition = {
        name: id, roleName, description: input.description, roleType: 'CustomRole',
        permissions: v.permissions, assignableScopes: v.assignableScopes.map((s) => s.id),
        createdOn: prior?.createdOn ?? this.#now().toISOString(), updatedOn: this.#now().toISOString(),
        createdBy: prior?.createdBy ?? opts.by ?? null, updatedBy: opts.by ?? null,
      };
      if (prior) {
        const outside = [...this.#assignments.values()].filter((a) => a.roleDefinitionId === id && !this.#assignable(def, parseScope(a.scope)));
        if (outside.length) throw AE.invalidAssignableScopes(`${outside.length} role assignment(s) of this role are at scopes the new assignable scopes do not cover (e.g. '${outside[0]!.scope}'); delete them first.`);
      }
      await this.#store.put(STORE_KIND.roleDefinition, id, def);
      this.#putDef(def);
      this.#invalidateAll();
      return { definition: def, created: !prior };
    });
  }

  /** Deletes a custom role; undefined when there is none by that id. Refused while assignments use it. */
  async deleteRoleDefinition(id: string): Promise<RoleDefinition | undefined> {
    const name = normaliseRoleDefinitionName(id);
    return this.#exclusive(async () => {
      const def = this.#defs.get(name);
      if (!def) return undefined;
      if (def.roleType === 'BuiltInRole') throw AE.builtInRoleNotModifiable(def.roleName);
      const using = [...this.#assignments.values()].filter((a) => a.roleDefinitionId === name).length;
      if (using) throw AE.roleDefinitionHasAssignments(using);
      await this.#store.delete(STORE_KIND.roleDefinition, name);
      this.#defs.delete(name);
      this.#compiled.delete(name);
      this.#invalidateAll();
      return def;
    });
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
    const name = req.name === undefined ? randomUUID() : req.name;
    if (!isGuid(name)) throw AE.invalidRoleAssignmentId(name);
    const target = this.resolveScope(req.scope);
    const roleId = normaliseRoleDefinitionName(req.roleDefinitionId);
    if (typeof req.principalId !== 'string' || !isGuid(req.principalId)) throw AE.invalidPrincipalId(String(req.principalId));
    const principalId = req.principalId.toLowerCase();
    if ((req.condition !== undefined && req.condition !== null) || (req.conditionVersion !== undefined && req.conditionVersion !== null)) throw AE.conditionNotSupported();
    let given: PrincipalType | undefined;
    if (req.principalType !== undefined && req.principalType !== null) {
      given = PRINCIPAL_TYPES.find((t) => t.toLowerCase() === String(req.principalType).toLowerCase());
      if (!given) throw AE.invalidPrincipalType(String(req.principalType));
    }
    const description = req.description ?? null;
    if (description !== null && (typeof description !== 'string' || description.length > 2048)) throw AE.invalidRequestContent('description is a string of at most 2048 characters.');

    return this.#exclusive(async () => {
      const def = this.#defs.get(roleId);
      if (!def) throw AE.roleDefinitionDoesNotExist(roleId, 400);
      if (!this.#assignable(def, target)) {
        throw AE.roleDefinitionDoesNotExist(roleId, 400, `Role '${def.roleName}' is not assignable at scope '${target.id}'; its assignable scopes are ${def.assignableScopes.map((s) => `'${s}'`).join(', ')}.`);
      }
      const principal = this.#resolve(principalId);
      if (!principal) throw AE.principalNotFound(principalId, this.#tenantId);
      if (given && given !== principal.principalType) throw AE.unmatchedPrincipalType(principalId, principal.principalType, given);

      const prior = this.#assignments.get(name.toLowerCase());
      if (prior) {
        if (prior.principalId !== principalId || prior.roleDefinitionId !== roleId || prior.scope.toLowerCase() !== target.key) throw AE.roleAssignmentUpdateNotPermitted();
        if (prior.description === description) return { assignment: prior, created: false };
        const next = { ...prior, description, updatedOn: this.#now().toISOString(), updatedBy: req.createdBy ?? null };
        await this.#store.put(STORE_KIND.roleAssignment, next.name, next, next.principalId);
        this.#index(next);
        return { assignment: next, created: false };
      }
      const dup = (this.#byPrincipal.get(principalId) ?? []).find((a) => a.roleDefinitionId === roleId && a.scope.toLowerCase() === target.key);
      if (dup) throw AE.roleAssignmentExists(dup.name);
      const now = this.#now().toISOString();
      const a: RoleAssignment = {
        name: name.toLowerCase(), scope: target.id, roleDefinitionId: roleId, principalId,
        principalType: principal.principalType, description,
        createdOn: now, updatedOn: now, createdBy: req.createdBy ?? null, updatedBy: req.createdBy ?? null,
      };
      await this.#store.put(STORE_KIND.roleAssignment, a.name, a, a.principalId);
      this.#index(a);
      this.#invalidatePrincipal(principalId);
      return { assignment: a, created: true };
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
    return this.#exclusive(async () => {
      const a = this.#assignments.get(name.toLowerCase());
      if (!a || (key !== undefined && a.scope.toLowerCase() !== key)) return undefined;
      await this.#store.delete(STORE_KIND.roleAssignment, a.name);
      this.#unindex(a);
      this.#invalidatePrincipal(a.principalId);
      return a;
    });
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
    const entry = this.#entry(req.principalId, req.scope);
    const mk = `${kind === 'action' ? 'a' : 'd'}:${op.toLowerCase()}`;
    const memo = entry.memo.get(mk);
    if (memo !== undefined) return memo;
    validateOperation(op);
    const r = entry.roles.some((role) => roleAllows(role, kind, op));
    if (entry.memo.size < MEMO_LIMIT) entry.memo.set(mk, r);
    return r;
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
    const entry = this.#entry(principalId, scope);
    return entry.roles.flatMap((r) => r.def.permissions);
  }

  cacheStats(): { entries: number; hits: number; misses: number; invalidations: number } {
    return { entries: this.#cache.size, ...this.#stats };
  }

  // ---- internals -----------------------------------------------------------------------------

  #entry(principalId: string, scope: string): CacheEntry {
    const key = `${principalId.toLowerCase()}\n${scope.toLowerCase()}`;
    const hit = this.#cache.get(key);
    if (hit) {
      this.#stats.hits++;
      return hit;
    }
    this.#stats.misses++;
    const chain = new Set(this.#tree.ancestorKeys(parseScope(scope)));
    const seen = new Set<string>();
    const roles: CompiledRole[] = [];
    for (const a of this.#byPrincipal.get(principalId.toLowerCase()) ?? []) {
      if (!chain.has(a.scope.toLowerCase()) || seen.has(a.roleDefinitionId)) continue;
      const role = this.#compiled.get(a.roleDefinitionId);
      if (!role) continue;
      seen.add(a.roleDefinitionId);
      roles.push(role);
    }
    const entry: CacheEntry = { roles, memo: new Map() };
    this.#cache.set(key, entry);
    return entry;
  }

  #assignable(def: RoleDefinition, target: ParsedScope): boolean {
    const chain = new Set(this.#tree.ancestorKeys(target));
    return def.assignableScopes.some((s) => chain.has(s.toLowerCase()));
  }

  #putDef(d: RoleDefinition): void {
    this.#defs.set(d.name, d);
    this.#compiled.set(d.name, compileRole(d));
  }

  #index(a: RoleAssignment): void {
    const prior = this.#assignments.get(a.name);
    if (prior) this.#unindex(prior);
    this.#assignments.set(a.name, a);
    const list = this.#byPrincipal.get(a.principalId) ?? [];
    list.push(a);
    this.#byPrincipal.set(a.principalId, list);
  }

  #unindex(a: RoleAssignment): void {
    this.#assignments.delete(a.name);
    const list = (this.#byPrincipal.get(a.principalId) ?? []).filter((x) => x.name !== a.name);
    if (list.length) this.#byPrincipal.set(a.principalId, list);
    else this.#byPrincipal.delete(a.principalId);
  }

  #invalidatePrincipal(principalId: string): void {
    const prefix = `${principalId.toLowerCase()}\n`;
    for (const k of [...this.#cache.keys()]) if (k.startsWith(prefix)) this.#cache.delete(k);
    this.#stats.invalidations++;
    this.#changed();
  }

  #invalidateAll(): void {
    this.#cache.clear();
    this.#stats.invalidations++;
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

  /** Serialises writes, so check-then-write sequences (duplicates, name clashes) cannot interleave. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

export { AccessError };
