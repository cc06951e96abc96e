import { AE } from './errors.ts';
import { MG_PREFIX, ROOT_SCOPE, isGuid, parseScope, syntacticChain, type ParsedScope } from './scope.ts';

/** The declared hierarchy above subscriptions (DESIGN.md config `managementGroups`). */
export interface ScopeTreeInput {
  /**
   * Management groups. `parent` names another group (absent or null: directly below the tenant
   * root group, or below `/` when there is none); `subscriptions` are the subscriptions directly in it.
   */
  managementGroups?: { id: string; parent?: string | null; subscriptions?: string[] }[];
  /** Subscriptions that exist (those in `managementGroups` are added). */
  subscriptions?: string[];
  /** When set, a management group with this id (Azure: the tenant id) sits above every other one. */
  tenantRootGroupId?: string;
}

/** Azure allows six levels of management groups below the root group. */
const MAX_DEPTH = 7;

/**
 * Management groups nest; each subscription sits in at most one group; resource groups and
 * resources hang below their subscription syntactically. `ancestors` gives the inheritance chain
 * entra-compat §5.3 describes: scope, …, subscription, management groups upward, `/`.
 */
export class ScopeTree {
  readonly #mgParent = new Map<string, string | null>();   // key → parent key (null: top)
  readonly #mgName = new Map<string, string>();             // key → id as declared
  readonly #subMg = new Map<string, string | null>();       // subscription id (lower) → mg key
  readonly #root?: string;

  constructor(input: ScopeTreeInput = {}) {
    const root = input.tenantRootGroupId;
    if (root !== undefined) {
      this.#root = root.toLowerCase();
      this.#mgParent.set(this.#root, null);
      this.#mgName.set(this.#root, root);
    }
    for (const mg of input.managementGroups ?? []) {
      const k = parseScope(`${MG_PREFIX}${mg.id}`).managementGroupId!.toLowerCase();
      if (this.#mgParent.has(k) && k !== this.#root) throw AE.invalidHierarchy(`Management group '${mg.id}' is declared twice.`);
      const parent = mg.parent ? mg.parent.toLowerCase() : k === this.#root ? null : this.#root ?? null;
      this.#mgParent.set(k, parent);
      this.#mgName.set(k, mg.id);
    }
    for (const [k, parent] of this.#mgParent) {
      if (parent !== null && !this.#mgParent.has(parent)) throw AE.invalidHierarchy(`Management group '${this.#mgName.get(k)}' names parent '${parent}', which is not declared.`);
      // Walk up: a cycle or a chain deeper than Azure allows is refused.
      let depth = 0;
      for (let cur: string | null = k; cur !== null; cur = this.#mgParent.get(cur) ?? null) {
        if (++depth > MAX_DEPTH) throw AE.invalidHierarchy(`Management group '${this.#mgName.get(k)}' is part of a cycle or more than six levels deep.`);
      }
    }
    for (const mg of input.managementGroups ?? []) {
      for (const s of mg.subscriptions ?? []) {
        if (!isGuid(s)) throw AE.invalidSubscriptionId(s);
        const sk = s.toLowerCase();
        const prior = this.#subMg.get(sk);
        if (prior) throw AE.invalidHierarchy(`Subscription ${s} is in management groups '${this.#mgName.get(prior)}' and '${mg.id}'; a subscription belongs to one.`);
        this.#subMg.set(sk, mg.id.toLowerCase());
      }
    }
    for (const s of input.subscriptions ?? []) {
      if (!isGuid(s)) throw AE.invalidSubscriptionId(s);
      if (!this.#subMg.has(s.toLowerCase())) this.#subMg.set(s.toLowerCase(), this.#root ?? null);
    }
  }

  hasSubscription(id: string): boolean {
    return this.#subMg.has(id.toLowerCase());
  }

  hasManagementGroup(id: string): boolean {
    return this.#mgParent.has(id.toLowerCase());
  }

  managementGroups(): { id: string; parent: string | null }[] {
    return [...this.#mgParent].map(([k, p]) => ({ id: this.#mgName.get(k)!, parent: p === null ? null : this.#mgName.get(p)! }));
  }

  subscriptions(): { id: string; managementGroup: string | null }[] {
    return [...this.#subMg].map(([s, mg]) => ({ id: s, managementGroup: mg === null ? null : this.#mgName.get(mg)! }));
  }

  /** Throws SubscriptionNotFound / ManagementGroupNotFound when the scope's anchor is not declared. */
  assertKnown(p: ParsedScope): void {
    if (p.subscriptionId && !this.hasSubscription(p.subscriptionId)) throw AE.subscriptionNotFound(p.subscriptionId);
    if (p.level === 'managementGroup' && !this.hasManagementGroup(p.managementGroupId!)) throw AE.managementGroupNotFound(p.managementGroupId!);
  }

  /** The inheritance chain, self first, `/` last; as canonical ids. */
  ancestors(p: ParsedScope): string[] {
    if (p.level === 'root') return [ROOT_SCOPE];
    const out = syntacticChain(p).map((s) => s.id);
    let mg: string | null;
    if (p.level === 'managementGroup') {
      out.length = 0;
      mg = p.managementGroupId!.toLowerCase();
    } else {
      mg = this.#subMg.get(p.subscriptionId!) ?? null;
    }
    let guard = 0;
    while (mg !== null && guard++ <= MAX_DEPTH) {
      out.push(`${MG_PREFIX}${this.#mgName.get(mg) ?? mg}`);
      mg = this.#mgParent.get(mg) ?? null;
    }
    out.push(ROOT_SCOPE);
    return out;
  }

  /** The same chain as comparison keys. */
  ancestorKeys(p: ParsedScope): string[] {
    return this.ancestors(p).map((s) => s.toLowerCase());
  }
}
