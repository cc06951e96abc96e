import { LRUCache } from 'lru-cache';
import { roleAllows, type CompiledRole } from './evaluate.ts';
import type { RoleAssignment } from './model.ts';
import type { PermissionKind } from './patterns.ts';
import { validateOperation } from './patterns.ts';

interface CacheEntry {
  roles: CompiledRole[];
  memo: Map<string, boolean>;
}

const MEMO_LIMIT = 256;
export const DEFAULT_CACHE_LIMIT = 20_000;

/** What the cache reads to build an entry: the principal's assignments and the compiled roles. */
export interface DecisionSource {
  assignmentsOf(principalId: string): readonly RoleAssignment[];
  role(id: string): CompiledRole | undefined;
  /** The scope's inheritance chain as comparison keys (self, ancestors, `/`). */
  chainKeys(scope: string): string[];
}

/**
 * The check hot path's memory: per (principal, scope), the compiled roles that apply there, and a
 * memo of answers per operation. Entries are dropped per principal (its assignments changed) or
 * all at once (a definition or the scope tree changed).
 */
export class DecisionCache {
  readonly #src: DecisionSource;
  readonly #cache: LRUCache<string, CacheEntry>;
  readonly #stats = { hits: 0, misses: 0, invalidations: 0 };

  constructor(src: DecisionSource, limit = DEFAULT_CACHE_LIMIT) {
    this.#src = src;
    this.#cache = new LRUCache({ max: limit });
  }

  /** Whether some applicable role allows the operation (memoised per entry). */
  allows(principalId: string, scope: string, kind: PermissionKind, op: string): boolean {
    const entry = this.#entry(principalId, scope);
    const mk = `${kind === 'action' ? 'a' : 'd'}:${op.toLowerCase()}`;
    const memo = entry.memo.get(mk);
    if (memo !== undefined) return memo;
    validateOperation(op);
    const r = entry.roles.some((role) => roleAllows(role, kind, op));
    if (entry.memo.size < MEMO_LIMIT) entry.memo.set(mk, r);
    return r;
  }

  /** The roles that apply to the principal at the scope. */
  roles(principalId: string, scope: string): CompiledRole[] {
    return this.#entry(principalId, scope).roles;
  }

  stats(): { entries: number; hits: number; misses: number; invalidations: number } {
    return { entries: this.#cache.size, ...this.#stats };
  }

  dropPrincipal(principalId: string): void {
    const prefix = `${principalId.toLowerCase()}\n`;
    for (const k of [...this.#cache.keys()]) if (k.startsWith(prefix)) this.#cache.delete(k);
    this.#stats.invalidations++;
  }

  dropAll(): void {
    this.#cache.clear();
    this.#stats.invalidations++;
  }

  #entry(principalId: string, scope: string): CacheEntry {
    const key = `${principalId.toLowerCase()}\n${scope.toLowerCase()}`;
    const hit = this.#cache.get(key);
    if (hit) {
      this.#stats.hits++;
      return hit;
    }
    this.#stats.misses++;
    const chain = new Set(this.#src.chainKeys(scope));
    const seen = new Set<string>();
    const roles: CompiledRole[] = [];
    for (const a of this.#src.assignmentsOf(principalId.toLowerCase())) {
      if (!chain.has(a.scope.toLowerCase()) || seen.has(a.roleDefinitionId)) continue;
      const role = this.#src.role(a.roleDefinitionId);
      if (!role) continue;
      seen.add(a.roleDefinitionId);
      roles.push(role);
    }
    const entry: CacheEntry = { roles, memo: new Map() };
    this.#cache.set(key, entry);
    return entry;
  }
}
