/**
 * The access-control writes that must hold across nodes, each atomic in the store rather than
 * behind an in-process queue: an assignment's (principal, role, scope) and a custom role's display
 * name are unique, enforced by claim documents written with `insertIfAbsent` in the same
 * transaction as the record; updates are compare-and-swap on the record's revision.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { STORE_KIND, type RoleAssignment, type RoleDefinition } from './model.ts';

/** Claim documents: who holds a unique value. Never read by the caches. */
export const CLAIM_KIND = {
  /** id: hash of principal, role and scope → { key, name } of the assignment. */
  assignment: 'access.roleAssignmentClaim',
  /** id: the role name, lower case → { key, name } of the definition. */
  roleName: 'access.roleNameClaim',
} as const;

interface Claim { key: string; name: string }

export function assignmentClaimKey(a: Pick<RoleAssignment, 'principalId' | 'roleDefinitionId' | 'scope'>): string {
  return createHash('sha256').update(`${a.principalId.toLowerCase()}\n${a.roleDefinitionId.toLowerCase()}\n${a.scope.toLowerCase()}`).digest('base64url');
}

export function roleNameClaimKey(roleName: string): string {
  return roleName.trim().toLowerCase();
}

/** A compare-and-swap lost to a concurrent writer: the whole operation runs again from a fresh read. */
class LostRace extends Error {}
/** Carries a result out of a transaction that must roll back. */
class Abort<T> extends Error {
  readonly value: T;
  constructor(value: T) {
    super('aborted');
    this.value = value;
  }
}

const MAX_ATTEMPTS = 32;

async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof LostRace) || attempt >= MAX_ATTEMPTS) throw err;
      // A short random pause, so writers that collided do not collide again in step.
      await new Promise<void>((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
    }
  }
}

async function aborting<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Abort) return err.value as T;
    throw err;
  }
}

/** Takes a claim for `name`, or says who holds it (a claim whose holder is gone is taken over). */
async function claim(tx: Store, kind: string, key: string, name: string, holderKind: string): Promise<string | undefined> {
  if (await tx.insertIfAbsent<Claim>(kind, key, { key, name })) return undefined;
  const holder = await tx.get<Claim>(kind, key);
  if (holder && holder.name !== name && await tx.get(holderKind, holder.name)) return holder.name;
  await tx.put<Claim>(kind, key, { key, name });
  return undefined;
}

async function release(tx: Store, kind: string, key: string, name: string): Promise<void> {
  const holder = await tx.get<Claim>(kind, key);
  if (holder?.name === name) await tx.delete(kind, key);
}

export type InsertAssignment =
  | { outcome: 'created' }
  | { outcome: 'duplicate'; existingName: string }
  | { outcome: 'nameTaken'; existing: RoleAssignment };

/** Inserts a new assignment with its claim, or says why not: another has the same triple, or the name is taken. */
export function insertAssignment(store: Store, a: RoleAssignment): Promise<InsertAssignment> {
  return aborting(() => store.transaction(async (tx): Promise<InsertAssignment> => {
    const holder = await claim(tx, CLAIM_KIND.assignment, assignmentClaimKey(a), a.name, STORE_KIND.roleAssignment);
    if (holder !== undefined) return { outcome: 'duplicate', existingName: holder };
    if (!await tx.insertIfAbsent(STORE_KIND.roleAssignment, a.name, a, a.principalId)) {
      const existing = await tx.get<RoleAssignment>(STORE_KIND.roleAssignment, a.name);
      // The claim just taken must not survive: roll it back.
      if (existing) throw new Abort<InsertAssignment>({ outcome: 'nameTaken', existing });
      throw new LostRace();
    }
    return { outcome: 'created' };
  }));
}

/** Compare-and-swap update of one assignment; `next` returns undefined to leave it as it is. */
export function updateAssignment(store: Store, name: string, next: (current: RoleAssignment) => RoleAssignment | undefined): Promise<{ before: RoleAssignment; after: RoleAssignment } | undefined> {
  return retrying(async () => {
    const cur = await store.getVersioned<RoleAssignment>(STORE_KIND.roleAssignment, name);
    if (!cur) return undefined;
    const after = next(cur.doc);
    if (!after) return { before: cur.doc, after: cur.doc };
    if (!await store.replaceIf(STORE_KIND.roleAssignment, name, cur.revision, after, after.principalId)) throw new LostRace();
    return { before: cur.doc, after };
  });
}

/** Deletes an assignment and releases its claim; returns what was deleted. */
export function removeAssignment(store: Store, name: string): Promise<RoleAssignment | undefined> {
  return store.transaction(async (tx) => {
    const a = await tx.get<RoleAssignment>(STORE_KIND.roleAssignment, name);
    if (!a || !await tx.delete(STORE_KIND.roleAssignment, name)) return undefined;
    await release(tx, CLAIM_KIND.assignment, assignmentClaimKey(a), name);
    return a;
  });
}

export type WriteDefinition = { outcome: 'written'; definition: RoleDefinition; created: boolean } | { outcome: 'nameTaken' };

/**
 * Creates or replaces a custom role with its name claim (released from its former name). `build`
 * makes the record from what is stored now (creation time and author carry over).
 */
export function writeDefinition(store: Store, id: string, build: (prior: RoleDefinition | undefined) => RoleDefinition): Promise<WriteDefinition> {
  return retrying(() => store.transaction(async (tx): Promise<WriteDefinition> => {
    const prior = await tx.getVersioned<RoleDefinition>(STORE_KIND.roleDefinition, id);
    const def = build(prior?.doc);
    const key = roleNameClaimKey(def.roleName);
    if (await claim(tx, CLAIM_KIND.roleName, key, id, STORE_KIND.roleDefinition) !== undefined) return { outcome: 'nameTaken' };
    const wrote = prior
      ? await tx.replaceIf(STORE_KIND.roleDefinition, id, prior.revision, def)
      : await tx.insertIfAbsent(STORE_KIND.roleDefinition, id, def);
    if (!wrote) throw new LostRace();
    if (prior && roleNameClaimKey(prior.doc.roleName) !== key) await release(tx, CLAIM_KIND.roleName, roleNameClaimKey(prior.doc.roleName), id);
    return { outcome: 'written', definition: def, created: !prior };
  }));
}

/** Deletes a custom role and releases its name. */
export function removeDefinition(store: Store, id: string): Promise<RoleDefinition | undefined> {
  return store.transaction(async (tx) => {
    const def = await tx.get<RoleDefinition>(STORE_KIND.roleDefinition, id);
    if (!def || !await tx.delete(STORE_KIND.roleDefinition, id)) return undefined;
    await release(tx, CLAIM_KIND.roleName, roleNameClaimKey(def.roleName), id);
    return def;
  });
}

/**
 * Records written before claims existed (an older data directory) get theirs, so that a
 * duplicate made through another node is refused as it would be here. Idempotent; every node may
 * run it at start.
 */
export async function backfillClaims(store: Store, assignments: readonly RoleAssignment[], definitions: readonly RoleDefinition[]): Promise<void> {
  const held = async (kind: string) => new Set((await store.list<Claim>(kind)).map((c) => c.key));
  const assignmentClaims = await held(CLAIM_KIND.assignment);
  for (const a of assignments) {
    const key = assignmentClaimKey(a);
    if (!assignmentClaims.has(key)) await store.insertIfAbsent<Claim>(CLAIM_KIND.assignment, key, { key, name: a.name });
  }
  const nameClaims = await held(CLAIM_KIND.roleName);
  for (const d of definitions) {
    const key = roleNameClaimKey(d.roleName);
    if (!nameClaims.has(key)) await store.insertIfAbsent<Claim>(CLAIM_KIND.roleName, key, { key, name: d.name });
  }
}
