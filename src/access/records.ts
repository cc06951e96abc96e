import { ChangeFollower, sameDocument, type Store } from '../store/index.ts';
import { BUILT_IN_ROLES } from './builtin-roles.ts';
import { compileRole, type CompiledRole } from './evaluate.ts';
import { STORE_KIND, type RoleAssignment, type RoleDefinition } from './model.ts';

export interface RecordEvents {
  /** A custom role appeared, changed or went: every cached decision may be wrong. */
  definitionsChanged(): void;
  /** One principal's assignments changed. */
  principalChanged(principalId: string): void;
  /** A change could not be read (store unreachable); the next change or resync repairs it. */
  error(err: unknown): void;
}

/**
 * Role definitions and assignments in memory, kept in line with the store's change feed: a write
 * through any node (this one included) is applied here once, and an event fires only when what is
 * held actually changed, so this node's own writes (applied at once, then seen again on the feed)
 * fire once.
 */
export class AccessRecords {
  readonly defs = new Map<string, RoleDefinition>();
  readonly compiled = new Map<string, CompiledRole>();
  readonly assignments = new Map<string, RoleAssignment>();
  readonly byPrincipal = new Map<string, RoleAssignment[]>();
  readonly #events: RecordEvents;
  readonly #follower: ChangeFollower;

  constructor(store: Store, events: RecordEvents) {
    this.#events = events;
    for (const d of BUILT_IN_ROLES) this.#putDef(d);
    this.#follower = new ChangeFollower(store, [STORE_KIND.roleDefinition, STORE_KIND.roleAssignment], {
      apply: (kind, id, doc) => this.#apply(kind, id, doc),
      heldIds: (kind) => kind === STORE_KIND.roleAssignment
        ? this.assignments.keys()
        : [...this.defs.values()].filter((d) => d.roleType === 'CustomRole').map((d) => d.name),
      idOf: (_kind, doc) => String(doc.name),
      onError: (err) => events.error(err),
    });
  }

  /** Loads (or reloads) everything from the store. */
  load(): Promise<void> {
    return this.#follower.reload();
  }

  /** The generation of a record before this node writes it (see `applyOwn`). */
  before(kind: string, id: string): number {
    return this.#follower.generation(kind, id);
  }

  /**
   * Applies this node's own write at once (the feed brings it again; applying twice is harmless),
   * unless a newer change of that record arrived meanwhile.
   */
  async applyOwn(kind: string, id: string, before: number, doc: RoleDefinition | RoleAssignment | undefined): Promise<void> {
    if (this.#follower.mayApplyOwnWrite(kind, id, before)) this.#apply(kind, id, doc);
    // Other nodes re-read this change alongside this node: answer once this node's re-read is done.
    await this.#follower.settledKey(kind, id);
  }

  settled(): Promise<void> {
    return this.#follower.settled();
  }

  close(): void {
    this.#follower.close();
  }

  #apply(kind: string, id: string, doc: unknown): void {
    if (kind === STORE_KIND.roleDefinition) this.#applyDefinition(id, doc as RoleDefinition | undefined);
    else if (kind === STORE_KIND.roleAssignment) this.#applyAssignment(id, doc as RoleAssignment | undefined);
  }

  #applyDefinition(id: string, doc: RoleDefinition | undefined): void {
    const held = this.defs.get(id);
    if (held?.roleType === 'BuiltInRole') return;  // built-ins are code, never the store's
    if (!doc) {
      if (!held) return;
      this.defs.delete(id);
      this.compiled.delete(id);
    } else {
      if (typeof doc.name !== 'string' || !Array.isArray(doc.permissions)) return this.#events.error(new Error(`malformed role definition ${id} in the store`));
      if (held && sameDocument(held, doc)) return;
      this.#putDef(doc);
    }
    this.#events.definitionsChanged();
  }

  #applyAssignment(id: string, doc: RoleAssignment | undefined): void {
    const held = this.assignments.get(id);
    if (!doc) {
      if (!held) return;
      this.#unindex(held);
      this.#events.principalChanged(held.principalId);
      return;
    }
    if (typeof doc.name !== 'string' || typeof doc.principalId !== 'string' || typeof doc.scope !== 'string') {
      return this.#events.error(new Error(`malformed role assignment ${id} in the store`));
    }
    if (held && sameDocument(held, doc)) return;
    if (held) this.#unindex(held);
    this.assignments.set(doc.name, doc);
    const list = this.byPrincipal.get(doc.principalId) ?? [];
    list.push(doc);
    this.byPrincipal.set(doc.principalId, list);
    if (held && held.principalId !== doc.principalId) this.#events.principalChanged(held.principalId);
    this.#events.principalChanged(doc.principalId);
  }

  #putDef(d: RoleDefinition): void {
    this.defs.set(d.name, d);
    this.compiled.set(d.name, compileRole(d));
  }

  #unindex(a: RoleAssignment): void {
    this.assignments.delete(a.name);
    const list = (this.byPrincipal.get(a.principalId) ?? []).filter((x) => x.name !== a.name);
    if (list.length) this.byPrincipal.set(a.principalId, list);
    else this.byPrincipal.delete(a.principalId);
  }
}
