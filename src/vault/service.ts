/**
 * A Key Vault–compatible secrets endpoint for one vault, served at the root of its own origin (the
 * SDK builds secret ids as `{origin}/secrets/{name}/{version}`). The pieces: auth.ts (who may do
 * what: bearer challenge, RBAC or access policies), routes.ts (path → operation), operations.ts
 * (one method per operation), shapes.ts (Key Vault's JSON), secrets.ts (storage), errors.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { VerifiedToken } from '../identity/index.ts';
import { authenticate } from './auth.ts';
import { answerPreflight, applyCors } from './cors.ts';
import type { VaultContext } from './context.ts';
import { KV, VaultError } from './errors.ts';
import { SecretOperations } from './operations.ts';
import { routeSecretRequest, VAULT_COLLECTIONS } from './routes.ts';
import type { DeclaredSecret } from './schema.ts';
import { SecretRepository } from './secrets.ts';
import { SecretShapes, sendError } from './shapes.ts';

const MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_PURGE_INTERVAL_MS = 60_000;

export class VaultService {
  readonly #ctx: VaultContext;
  readonly #repo: SecretRepository;
  readonly #ops: SecretOperations;
  readonly #ready: Promise<void>;
  readonly #callers = new WeakMap<FastifyRequest, VerifiedToken>();
  readonly #listeners = new Set<(name: string) => void>();
  #lastPurge = 0;
  #closed = false;

  constructor(ctx: VaultContext) {
    this.#ctx = ctx;
    // Changes are told from the store's change feed: once per change, whichever node made it.
    this.#repo = new SecretRepository(ctx.store, ctx.resourceId, {
      sealer: ctx.sealer,
      onChange: (name) => this.#changed(name),
      onError: (err) => ctx.log.warn({ err }, 'vault: a change from the store could not be read; the next change or resync repairs it'),
    });
    const retentionDays = ctx.softDeleteRetentionInDays ?? 90;
    this.#ops = new SecretOperations({
      ctx, repo: this.#repo, retentionDays,
      shapes: new SecretShapes(() => ctx.vaultUri(), retentionDays),
      caller: (req) => this.#callers.get(req)!,
    });
    this.#ready = this.#repo.load();
    this.#ready.catch((err: unknown) => ctx.log.error({ err }, 'vault: loading secrets failed'));
  }

  /**
   * Who may read changed (an access policy, the access model, a role assignment): readers that
   * remember a refusal (Key Vault references) ask again now rather than after their retry delay.
   */
  accessChanged(): void {
    this.#changed('*');
  }

  /** Called with a secret's name (or `*` for "access changed") whenever it changes (set, update, delete, recover, purge). */
  onSecretChanged(listener: (name: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Brings declared secrets in line with the config: a new version only when the value or type differs. */
  async applyDeclaredSecrets(secrets: readonly DeclaredSecret[]): Promise<void> {
    await this.#ready;
    for (const s of secrets) {
      let doc = this.#repo.get(s.name);
      if (doc?.deleted) doc = await this.#repo.recover(s.name);
      const cur = doc ? await this.#repo.readVersion(doc.name) : undefined;
      if (cur && cur.value === s.value && cur.contentType === s.contentType && sameTags(cur.tags, s.tags)) continue;
      await this.#repo.set(s.name, { value: s.value, contentType: s.contentType, tags: s.tags });
    }
  }

  mount(app: FastifyInstance): void {
    void app.register(async (scope) => {
      scope.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
        if (err instanceof VaultError) return sendError(reply, err);
        if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, KV.tooLarge(MAX_BODY_BYTES));
        if (err.code?.startsWith('FST_ERR_CTP') || (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)) {
          return sendError(reply, KV.badParameter(err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'The request body must be application/json.'
            : 'The request body is not valid JSON.'));
        }
        req.log.error({ err }, 'vault request failed');
        return sendError(reply, KV.internal());
      });
      scope.addHook('onRequest', async (req, reply) => {
        if (req.method === 'OPTIONS') return;
        applyCors(req, reply, this.#ctx.corsOrigins?.() ?? []);
        if (this.#closed) throw KV.shuttingDown();
        this.#callers.set(req, await authenticate(this.#ctx, req));
      });
      const methods = ['GET', 'PUT', 'PATCH', 'DELETE', 'POST'] as ('GET' | 'PUT' | 'PATCH' | 'DELETE' | 'POST')[];
      for (const prefix of VAULT_COLLECTIONS) {
        for (const url of [`/${prefix}`, `/${prefix}/*`]) {
          scope.route({
            method: methods, url, bodyLimit: MAX_BODY_BYTES,
            handler: async (req, reply) => {
              await this.#ready;
              await this.#sweep();
              return routeSecretRequest(this.#ops, req, reply);
            },
          });
          // Browsers ask before a cross-origin call with a bearer token (the portal's).
          scope.options(url, async (req, reply) => answerPreflight(req, reply, this.#ctx.corsOrigins?.() ?? []));
        }
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    await this.#ready.catch(() => undefined);
    this.#repo.close();
  }

  /**
   * Purges soft-deleted secrets past their date at most once per interval (not on every request:
   * the sweep walks every secret). Reads already treat an expired deleted secret as gone.
   */
  async #sweep(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastPurge < (this.#ctx.purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS)) return;
    this.#lastPurge = now;
    await this.#repo.purgeExpired();
  }

  #changed(name: string): void {
    for (const l of this.#listeners) {
      try {
        l(name);
      } catch (err) {
        this.#ctx.log.warn({ err }, 'vault change listener failed');
      }
    }
  }
}

function sameTags(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
