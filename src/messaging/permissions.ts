/**
 * Per-connection group permissions. Two actions exist (join/leave a group, publish to a group);
 * each may be granted for every group, for literal groups, or for groups matching predicates
 * (wildcard roles, compiled by the protocol layer). A literal revoke overrides a broader grant
 * until the group is granted again — the service's documented behaviour.
 */
export type GroupAction = 'joinLeaveGroup' | 'sendToGroup';

export const GROUP_ACTIONS: readonly GroupAction[] = ['joinLeaveGroup', 'sendToGroup'];

/** More literal rules than this per connection is refused (the service answers 409). */
export const MAX_LITERAL_RULES = 1000;

class ActionRules {
  all = false;
  // Made on first use: most connections hold a whole action (a token role) and no literal or
  // pattern rule, and this is built for every connection set up.
  allowed: Set<string> | undefined;
  denied: Set<string> | undefined;
  patterns: Array<(group: string) => boolean> | undefined;
  /** How each pattern was granted (the role text), for listings; same order as `patterns`. */
  patternLabels: string[] | undefined;

  has(group: string | undefined): boolean {
    if (group === undefined) return this.all;
    if (this.denied?.has(group) === true) return false;
    return this.all || this.allowed?.has(group) === true || this.patterns?.some((p) => p(group)) === true;
  }

  literalCount(): number {
    return (this.allowed?.size ?? 0) + (this.denied?.size ?? 0);
  }
}

export class PermissionLimitError extends Error {
  constructor() {
    super(`A connection can hold at most ${MAX_LITERAL_RULES} group permission rules.`);
  }
}

export class PermissionSet {
  /** Made on the first grant of each action (most connections hold one action, many none). */
  #joinLeave: ActionRules | undefined;
  #send: ActionRules | undefined;

  #rulesOf(action: GroupAction): ActionRules | undefined {
    return action === 'joinLeaveGroup' ? this.#joinLeave : this.#send;
  }

  #made(action: GroupAction): ActionRules {
    if (action === 'joinLeaveGroup') return (this.#joinLeave ??= new ActionRules());
    return (this.#send ??= new ActionRules());
  }

  /** Does the connection hold `action` on `group` (or on every group when `group` is omitted)? */
  has(action: GroupAction, group?: string): boolean {
    return this.#rulesOf(action)?.has(group) ?? false;
  }

  grant(action: GroupAction, group?: string): void {
    const r = this.#made(action);
    if (group === undefined) {
      r.all = true;
      r.denied = undefined;
      return;
    }
    if (r.denied?.delete(group) !== true && r.allowed?.has(group) !== true && r.literalCount() >= MAX_LITERAL_RULES) {
      throw new PermissionLimitError();
    }
    (r.allowed ??= new Set()).add(group);
  }

  /** Adds a predicate-based grant (e.g. a wildcard role from the access token). */
  grantMatching(action: GroupAction, predicate: (group: string) => boolean, label?: string): void {
    const r = this.#made(action);
    (r.patterns ??= []).push(predicate);
    (r.patternLabels ??= []).push(label ?? `webpubsub.${action}s.<pattern>`);
  }

  /**
   * What the connection may do, in the role names of client access tokens (`webpubsub.sendToGroup`,
   * `webpubsub.joinLeaveGroup.<group>`, the pattern roles as granted): for listings, at most `max`.
   */
  describe(max = 100): string[] {
    const out: string[] = [];
    for (const action of GROUP_ACTIONS) {
      const r = this.#rulesOf(action);
      if (!r) continue;
      if (r.all) out.push(`webpubsub.${action}`);
      if (r.allowed) for (const g of r.allowed) out.push(`webpubsub.${action}.${g}`);
      if (r.patternLabels) out.push(...r.patternLabels);
      if (out.length >= max) break;
    }
    return out.slice(0, max);
  }

  revoke(action: GroupAction, group?: string): void {
    const r = this.#rulesOf(action);
    if (!r) return; // nothing granted: nothing to take back, nothing broader to deny under
    if (group === undefined) {
      r.all = false;
      r.allowed = undefined;
      r.denied = undefined;
      r.patterns = undefined;
      r.patternLabels = undefined;
      return;
    }
    r.allowed?.delete(group);
    // Only remember a denial when something broader would still allow the group.
    if (r.all || r.patterns?.some((p) => p(group)) === true) {
      if (r.denied?.has(group) !== true && r.literalCount() >= MAX_LITERAL_RULES) throw new PermissionLimitError();
      (r.denied ??= new Set()).add(group);
    }
  }
}
