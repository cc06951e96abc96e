/**
 * The compare-and-swap write of one secret (see secrets.ts): the header and its version records
 * change in one transaction, retried from a fresh read when another node's writer won. Kept
 * apart from SecretRepository so the retry loop can be read on its own.
 */
import type { ChangeFollower, Store } from '../store/index.ts';
import { SECRET_KIND, SECRET_VERSION_KIND, type LegacySecretDoc, type SecretDoc, type SecretVersion } from './secret-model.ts';

/** What one write decides from the stored header. */
export interface WriteStep<T> {
  /** The header to write; null deletes it. */
  header: SecretDoc | null;
  versions?: SecretVersion[];
  removeVersions?: string[];
  result: T;
}

/** Decides the write from the stored header (undefined: no change). */
export type WriteStepFn<T> = (cur: SecretDoc | undefined, tx: Store) => Promise<WriteStep<T> | undefined>;

/** The repository's pieces a write needs (its store, feed follower, record ids and sealing). */
export interface SecretWriteContext {
  store: Store;
  follower: ChangeFollower;
  vaultId: string;
  id(name: string): string;
  versionId(name: string, version: string): string;
  sealed(name: string, v: SecretVersion): SecretVersion;
  apply(id: string, doc: SecretDoc | undefined): void;
}

/** A compare-and-swap lost to another writer: read again and retry. */
class LostRace extends Error {}
const MAX_ATTEMPTS = 32;
/** A short random pause before a retry, so writers that collided do not collide again in step. */
const backoff = (attempt: number) => new Promise<void>((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));

/**
 * Writes a header by compare-and-swap (inserting it when there is none, deleting it for `null`)
 * and, in the same transaction, the version records given (values sealed) and removals.
 */
export async function writeSecret<T>(ctx: SecretWriteContext, name: string, step: WriteStepFn<T>): Promise<T | undefined> {
  const id = ctx.id(name);
  for (let attempt = 1; ; attempt++) {
    try {
      const done = await ctx.store.transaction(async (tx) => {
        const cur = await tx.getVersioned<SecretDoc | LegacySecretDoc>(SECRET_KIND, id);
        const stored = cur && !('versions' in cur.doc) ? cur.doc : undefined;
        const out = await step(stored, tx);
        if (!out) return undefined;
        const before = ctx.follower.generation(SECRET_KIND, id);
        if (out.header === null) {
          if (!cur || !await tx.delete(SECRET_KIND, id)) throw new LostRace();
        } else {
          const wrote = cur ? await tx.replaceIf(SECRET_KIND, id, cur.revision, out.header, ctx.vaultId) : await tx.insertIfAbsent(SECRET_KIND, id, out.header, ctx.vaultId);
          if (!wrote) throw new LostRace();
        }
        for (const v of out.versions ?? []) await tx.put(SECRET_VERSION_KIND, ctx.versionId(name, v.version), ctx.sealed(name, v), id);
        for (const version of out.removeVersions ?? []) await tx.delete(SECRET_VERSION_KIND, ctx.versionId(name, version));
        return { out, before };
      });
      if (!done) return undefined;
      // This node reads its own write at once (the feed brings it again; applying twice changes nothing).
      if (ctx.follower.mayApplyOwnWrite(SECRET_KIND, id, done.before)) ctx.apply(id, done.out.header ?? undefined);
      await ctx.follower.settledKey(SECRET_KIND, id);
      return done.out.result;
    } catch (err) {
      if (!(err instanceof LostRace) || attempt >= MAX_ATTEMPTS) throw err;
      await backoff(attempt);
    }
  }
}
