/**
 * A Key Vault–compatible secrets endpoint for one vault, served at the root of its own origin (the
 * SDK builds secret ids as `{origin}/secrets/{name}/{version}`). Authentication is the bearer
 * challenge `@azure/keyvault-common`'s keyVaultAuthenticationPolicy performs: its first request
 * goes without a token (and without a body) and must get 401 with
 * `WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="https://vault.azure.net"`;
 * it then sends an Entra token for https://vault.azure.net, which Lapis's verifier checks.
 * Authorisation is Azure RBAC with Key Vault's DataActions, at the secret's scope
 * (`{vault id}/secrets/{name}`), decided by the `authorize` callback.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Store } from '../store/index.ts';
import { TokenRejected } from '../identity/index.ts';
import type { VerifiedToken } from '../identity/index.ts';
import { KV, VAULT_RESOURCE, VaultError } from './errors.ts';
import { MAX_SECRET_VALUE, SECRET_NAME } from './schema.ts';
import type { DeclaredSecret } from './schema.ts';
import { current, SecretLimitError, SecretRepository } from './secrets.ts';
import type { SecretDoc, SecretVersion } from './secrets.ts';

/** Key Vault DataActions for secrets (Azure resource provider operations). */
export const SECRET_ACTIONS = {
  getSecret: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  setSecret: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  readMetadata: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  update: 'Microsoft.KeyVault/vaults/secrets/update/action',
  delete: 'Microsoft.KeyVault/vaults/secrets/delete',
  recover: 'Microsoft.KeyVault/vaults/secrets/recover/action',
  purge: 'Microsoft.KeyVault/vaults/secrets/purge/action',
  backup: 'Microsoft.KeyVault/vaults/secrets/backup/action',
  restore: 'Microsoft.KeyVault/vaults/secrets/restore/action',
} as const;

export type AuthorizeFn = (principalId: string, dataAction: string, scope: string) => { allowed: boolean; reason?: string | undefined };

export interface VaultContext {
  /** Vault name, e.g. "kv-1". */
  name: string;
  /** ARM id: /subscriptions/…/resourceGroups/…/providers/Microsoft.KeyVault/vaults/kv-1 */
  resourceId: string;
  /** The vault's tenant: tokens must come from it, and the challenge names it. */
  tenantId: string;
  location?: string;
  /** The vault's public origin (`https://localhost:9005`): secret ids in answers are built on it. */
  vaultUri(): string;
  store: Store;
  verifier: { verify(token: string, opts: { audiences: string[]; tenantId?: string }): Promise<VerifiedToken> };
  /** Origin of the Entra endpoints (`https://localhost:8443`), named in the challenge. */
  authorityHost: string;
  authorize: AuthorizeFn;
  log: Logger;
  /** Days a deleted secret stays recoverable (default 90, as Azure). */
  softDeleteRetentionInDays?: number;
  /** Answer over plain HTTP too (tests only; the SDK sends bearer tokens, so HTTPS is the default). */
  allowInsecureHttp?: boolean;
}

/** api-version values the SDKs send: 7.0–7.6 (and previews), 2025-07-01, 2026-04-01 (keyvault-secrets 4.12 default). */
const API_VERSION = /^(7\.[0-6](-preview(\.\d+)?)?|2016-10-01|2025-07-01|2026-04-01)$/;
const LATEST_API_VERSION = '2025-07-01';
const AUDIENCES = [VAULT_RESOURCE, `${VAULT_RESOURCE}/`];
const MAX_BODY_BYTES = 64 * 1024;
const MAX_PAGE = 25;
const VERSION_RE = /^[0-9a-f]{32}$/i;

type Method = 'GET' | 'HEAD' | 'PUT' | 'PATCH' | 'DELETE' | 'POST';

export class VaultService {
  readonly #ctx: VaultContext;
  readonly #repo: SecretRepository;
  readonly #ready: Promise<void>;
  readonly #principals = new WeakMap<FastifyRequest, VerifiedToken>();
  readonly #listeners = new Set<(name: string) => void>();
  #closed = false;

  constructor(ctx: VaultContext) {
    this.#ctx = ctx;
    this.#repo = new SecretRepository(ctx.store, ctx.resourceId);
    this.#ready = this.#repo.load();
    this.#ready.catch((err: unknown) => ctx.log.error({ err }, 'vault: loading secrets failed'));
  }

  /** Called with a secret's name whenever it changes (set, update, delete, recover, purge). */
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
      const cur = doc ? current(doc) : undefined;
      if (cur && cur.value === s.value && cur.contentType === s.contentType && sameTags(cur.tags, s.tags)) continue;
      await this.#repo.set(s.name, { value: s.value, contentType: s.contentType, tags: s.tags });
      this.#changed(s.name);
    }
  }

  mount(app: FastifyInstance): void {
    void app.register(async (scope) => {
      scope.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
        if (err instanceof VaultError) return this.#sendError(reply, err);
        if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return this.#sendError(reply, KV.tooLarge(MAX_BODY_BYTES));
        if (err.code?.startsWith('FST_ERR_CTP') || (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)) {
          return this.#sendError(reply, KV.badParameter(err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'The request body must be application/json.'
            : 'The request body is not valid JSON.'));
        }
        req.log.error({ err }, 'vault request failed');
        return this.#sendError(reply, new VaultError(500, 'InternalServerError', 'The vault could not process the request.'));
      });
      scope.addHook('onRequest', async (req) => this.#authenticate(req));
      const methods: Method[] = ['GET', 'PUT', 'PATCH', 'DELETE', 'POST'];
      for (const prefix of ['secrets', 'deletedsecrets', 'keys', 'deletedkeys', 'certificates', 'deletedcertificates', 'storage']) {
        for (const url of [`/${prefix}`, `/${prefix}/*`]) {
          scope.route({ method: methods, url, bodyLimit: MAX_BODY_BYTES, handler: (req, reply) => this.#handle(req, reply) });
        }
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    await this.#ready.catch(() => undefined);
  }

  // ---- authentication --------------------------------------------------------------------------

  #challenge(): Record<string, string> {
    const authority = this.#ctx.authorityHost.replace(/\/+$/, '');
    return { 'WWW-Authenticate': `Bearer authorization="${authority}/${this.#ctx.tenantId}", resource="${VAULT_RESOURCE}"` };
  }

  async #authenticate(req: FastifyRequest): Promise<void> {
    if (this.#closed) throw new VaultError(503, 'ServiceUnavailable', 'The vault is shutting down.');
    if (req.protocol !== 'https' && !this.#ctx.allowInsecureHttp) throw KV.httpsRequired();
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      throw new VaultError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', undefined, this.#challenge());
    }
    let verified: VerifiedToken;
    try {
      verified = await this.#ctx.verifier.verify(m[1]!, { audiences: AUDIENCES, tenantId: this.#ctx.tenantId });
    } catch (err) {
      if (!(err instanceof TokenRejected)) throw err;
      throw new VaultError(401, 'Unauthorized', tokenMessage(err, this.#ctx.tenantId), undefined, this.#challenge());
    }
    this.#principals.set(req, verified);
    const version = (req.query as Record<string, unknown>)['api-version'];
    if (version === undefined || version === '') throw KV.missingApiVersion();
    if (typeof version !== 'string' || !API_VERSION.test(version)) throw KV.badApiVersion(String(version), LATEST_API_VERSION);
  }

  #authorize(req: FastifyRequest, action: string, scope: string): void {
    const who = this.#principals.get(req)!;
    const decision = this.#ctx.authorize(who.principalId, action, scope);
    if (decision.allowed) return;
    const p = who.payload;
    const caller = `${p.appid ?? p.azp ? `appid=${String(p.appid ?? p.azp)};` : ''}oid=${who.principalId};iss=${String(p.iss)}`;
    throw new VaultError(403, 'Forbidden', [
      'Caller is not authorized to perform action on resource.',
      'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
      `Caller: ${caller}`,
      `Action: '${action}'`,
      `Resource: '${scope.toLowerCase()}'`,
      'Assignment: (not found)',
      `DecisionReason: '${(decision.reason ?? 'DeniedWithNoValidRBAC').replace(/'/g, '')}'`,
      `Vault: ${this.#ctx.name};location=${this.#ctx.location ?? 'local'}`,
      '',
    ].join('\r\n'), 'ForbiddenByRbac');
  }

  // ---- routing ---------------------------------------------------------------------------------

  async #handle(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    await this.#ready;
    await this.#repo.purgeExpired();
    const path = (req.raw.url ?? '/').split('?')[0]!;
    const segs = path.split('/').slice(1).map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw KV.badName(s);
      }
    });
    while (segs.length > 1 && segs[segs.length - 1] === '') segs.pop();
    const [collection = '', ...rest] = segs;
    const method = req.method as Method;
    const kind = collection.toLowerCase();
    if (kind !== 'secrets' && kind !== 'deletedsecrets') {
      throw KV.notImplemented(`Lapis vaults serve secrets only: ${kind.replace(/^deleted/, '')} are not supported.`);
    }
    const vaultScope = this.#ctx.resourceId;
    const secretScope = (name: string) => `${this.#ctx.resourceId}/secrets/${name}`;
    const apiVersion = String((req.query as Record<string, unknown>)['api-version']);

    if (kind === 'secrets') {
      if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) {
        if (method !== 'GET' && method !== 'HEAD') throw KV.methodNotAllowed();
        this.#authorize(req, SECRET_ACTIONS.readMetadata, vaultScope);
        return this.#send(reply, 200, this.#page(req, apiVersion, 'secrets', this.#repo.live().map((d) => this.#item(d.name, current(d), false))));
      }
      const name = rest[0]!;
      if (rest.length === 1 && name.toLowerCase() === 'restore' && method === 'POST') {
        this.#authorize(req, SECRET_ACTIONS.restore, vaultScope);
        throw KV.notImplemented('Restoring secret backups is not supported by Lapis.');
      }
      checkName(name);
      if (rest.length === 1) {
        switch (method) {
          case 'PUT': return this.#set(req, reply, name);
          case 'GET': case 'HEAD': return this.#get(req, reply, name, undefined);
          case 'PATCH': return this.#update(req, reply, name, undefined);
          case 'DELETE': return this.#delete(req, reply, name);
          default: throw KV.methodNotAllowed();
        }
      }
      if (rest.length === 2) {
        const second = rest[1]!;
        if (second.toLowerCase() === 'versions') {
          if (method !== 'GET' && method !== 'HEAD') throw KV.methodNotAllowed();
          this.#authorize(req, SECRET_ACTIONS.readMetadata, secretScope(name));
          const doc = this.#live(name);
          const items = [...doc.versions].reverse().map((v) => this.#item(doc.name, v, true));
          return this.#send(reply, 200, this.#page(req, apiVersion, `secrets/${encodeURIComponent(doc.name)}/versions`, items));
        }
        if (second.toLowerCase() === 'backup' && method === 'POST') {
          this.#authorize(req, SECRET_ACTIONS.backup, secretScope(name));
          throw KV.notImplemented('Secret backups are not supported by Lapis.');
        }
        if (second === '') {
          if (method === 'GET' || method === 'HEAD') return this.#get(req, reply, name, undefined);
          if (method === 'PATCH') return this.#update(req, reply, name, undefined);
          throw KV.methodNotAllowed();
        }
        if (method === 'GET' || method === 'HEAD') return this.#get(req, reply, name, second);
        if (method === 'PATCH') return this.#update(req, reply, name, second);
        throw KV.methodNotAllowed();
      }
      throw KV.notFound();
    }

    // deletedsecrets
    if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) {
      if (method !== 'GET' && method !== 'HEAD') throw KV.methodNotAllowed();
      this.#authorize(req, SECRET_ACTIONS.readMetadata, vaultScope);
      return this.#send(reply, 200, this.#page(req, apiVersion, 'deletedsecrets', this.#repo.deleted().map((d) => ({ ...this.#item(d.name, current(d), false), ...this.#deletedFields(d) }))));
    }
    const name = rest[0]!;
    checkName(name);
    if (rest.length === 1) {
      if (method === 'GET' || method === 'HEAD') {
        this.#authorize(req, SECRET_ACTIONS.readMetadata, secretScope(name));
        const doc = this.#deletedDoc(name);
        return this.#send(reply, 200, { ...this.#bundle(doc.name, current(doc), false), ...this.#deletedFields(doc) });
      }
      if (method === 'DELETE') {
        this.#authorize(req, SECRET_ACTIONS.purge, secretScope(name));
        const doc = this.#deletedDoc(name);
        await this.#repo.purge(doc.name);
        this.#changed(doc.name);
        return reply.code(204).header('x-ms-request-id', randomUUID()).send();
      }
      throw KV.methodNotAllowed();
    }
    if (rest.length === 2 && rest[1]!.toLowerCase() === 'recover' && method === 'POST') {
      this.#authorize(req, SECRET_ACTIONS.recover, secretScope(name));
      const doc = this.#deletedDoc(name);
      const recovered = (await this.#repo.recover(doc.name))!;
      this.#changed(doc.name);
      return this.#send(reply, 200, this.#bundle(recovered.name, current(recovered), false));
    }
    throw KV.notFound();
  }

  // ---- operations ------------------------------------------------------------------------------

  async #set(req: FastifyRequest, reply: FastifyReply, name: string): Promise<unknown> {
    this.#authorize(req, SECRET_ACTIONS.setSecret, `${this.#ctx.resourceId}/secrets/${name}`);
    const body = objectBody(req.body);
    if (typeof body.value !== 'string') throw KV.badParameter('The parameter value must be a string.');
    if (Buffer.byteLength(body.value, 'utf8') > MAX_SECRET_VALUE) throw KV.badParameter(`The secret value exceeds the maximum size of ${MAX_SECRET_VALUE} bytes.`);
    const meta = parseMetadata(body);
    const existing = this.#repo.get(name);
    if (existing?.deleted) throw KV.deletedButRecoverable(existing.name);
    let v: SecretVersion;
    try {
      v = await this.#repo.set(name, { value: body.value, ...meta });
    } catch (err) {
      if (err instanceof SecretLimitError) throw KV.badParameter(err.message);
      throw err;
    }
    const doc = this.#repo.get(name)!;
    this.#changed(doc.name);
    return this.#send(reply, 200, this.#bundle(doc.name, v, true));
  }

  async #get(req: FastifyRequest, reply: FastifyReply, name: string, version: string | undefined): Promise<unknown> {
    this.#authorize(req, SECRET_ACTIONS.getSecret, `${this.#ctx.resourceId}/secrets/${name}`);
    const doc = this.#live(name);
    const v = this.#version(doc, version);
    if (!v.enabled) throw KV.disabled();
    return this.#send(reply, 200, this.#bundle(doc.name, v, true));
  }

  async #update(req: FastifyRequest, reply: FastifyReply, name: string, version: string | undefined): Promise<unknown> {
    this.#authorize(req, SECRET_ACTIONS.update, `${this.#ctx.resourceId}/secrets/${name}`);
    const body = objectBody(req.body);
    if ('value' in body && body.value !== undefined) throw KV.badParameter('The value of a secret cannot be changed by an update: set a new version instead.');
    const meta = parseMetadata(body);
    const doc = this.#live(name);
    const target = this.#version(doc, version);
    const updated = await this.#repo.update(doc.name, target.version, meta);
    if (!updated) throw KV.versionNotFound(name, target.version);
    this.#changed(doc.name);
    return this.#send(reply, 200, this.#bundle(doc.name, updated, false));
  }

  async #delete(req: FastifyRequest, reply: FastifyReply, name: string): Promise<unknown> {
    this.#authorize(req, SECRET_ACTIONS.delete, `${this.#ctx.resourceId}/secrets/${name}`);
    const doc = this.#live(name);
    const deleted = (await this.#repo.softDelete(doc.name, this.#retention()))!;
    this.#changed(doc.name);
    return this.#send(reply, 200, { ...this.#bundle(deleted.name, current(deleted), false), ...this.#deletedFields(deleted) });
  }

  // ---- shapes ----------------------------------------------------------------------------------

  #live(name: string): SecretDoc {
    const doc = this.#repo.get(name);
    if (!doc || doc.deleted) throw KV.secretNotFound(name);
    return doc;
  }

  #deletedDoc(name: string): SecretDoc {
    const doc = this.#repo.get(name);
    if (!doc?.deleted) throw KV.deletedNotFound(name);
    return doc;
  }

  #version(doc: SecretDoc, version: string | undefined): SecretVersion {
    if (version === undefined || version === '') return current(doc);
    if (!VERSION_RE.test(version)) throw KV.versionNotFound(doc.name, version.slice(0, 64));
    const v = doc.versions.find((x) => x.version === version.toLowerCase());
    if (!v) throw KV.versionNotFound(doc.name, version);
    return v;
  }

  #base(): string {
    return this.#ctx.vaultUri().replace(/\/+$/, '');
  }

  #retention(): number {
    return this.#ctx.softDeleteRetentionInDays ?? 90;
  }

  #attributes(v: SecretVersion): Record<string, unknown> {
    return {
      enabled: v.enabled,
      ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
      created: v.created,
      updated: v.updated,
      recoveryLevel: 'Recoverable+Purgeable',
      recoverableDays: this.#retention(),
    };
  }

  #bundle(name: string, v: SecretVersion, withValue: boolean): Record<string, unknown> {
    return {
      ...(withValue ? { value: v.value } : {}),
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      id: `${this.#base()}/secrets/${name}/${v.version}`,
      attributes: this.#attributes(v),
      ...(v.tags ? { tags: v.tags } : {}),
    };
  }

  #item(name: string, v: SecretVersion, withVersion: boolean): Record<string, unknown> {
    return {
      id: `${this.#base()}/secrets/${name}${withVersion ? `/${v.version}` : ''}`,
      attributes: this.#attributes(v),
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      ...(v.tags ? { tags: v.tags } : {}),
    };
  }

  #deletedFields(doc: SecretDoc): Record<string, unknown> {
    return { recoveryId: `${this.#base()}/deletedsecrets/${doc.name}`, deletedDate: doc.deleted!.deletedDate, scheduledPurgeDate: doc.deleted!.scheduledPurgeDate };
  }

  /** One page (`maxresults` 1–25, default 25) with a self-contained `nextLink`. */
  #page(req: FastifyRequest, apiVersion: string, path: string, items: Record<string, unknown>[]): Record<string, unknown> {
    const q = req.query as Record<string, unknown>;
    let size = MAX_PAGE;
    if (q.maxresults !== undefined && q.maxresults !== '') {
      const n = Number(q.maxresults);
      if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw KV.badParameter(`maxresults must be an integer from 1 to ${MAX_PAGE}.`);
      size = n;
    }
    let offset = 0;
    const token = q.$skiptoken;
    if (token !== undefined && token !== '') {
      const n = typeof token === 'string' && /^\d{1,9}$/.test(token) ? Number(token) : NaN;
      if (!Number.isInteger(n)) throw KV.badParameter('The $skiptoken is not valid.');
      offset = n;
    }
    const page = items.slice(offset, offset + size);
    const next = offset + size < items.length
      ? `${this.#base()}/${path}?api-version=${encodeURIComponent(apiVersion)}&$skiptoken=${offset + size}&maxresults=${size}`
      : null;
    return { value: page, nextLink: next };
  }

  #send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
    return reply.code(status)
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-ms-request-id', randomUUID())
      .send(JSON.stringify(body));
  }

  #sendError(reply: FastifyReply, err: VaultError): FastifyReply {
    for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
    return this.#send(reply, err.status, err.body());
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

function checkName(name: string): void {
  if (!SECRET_NAME.test(name)) throw KV.badName(name);
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw KV.badParameter('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

function parseMetadata(body: Record<string, unknown>): { contentType?: string; tags?: Record<string, string>; enabled?: boolean; nbf?: number; exp?: number } {
  const out: { contentType?: string; tags?: Record<string, string>; enabled?: boolean; nbf?: number; exp?: number } = {};
  if (body.contentType !== undefined && body.contentType !== null) {
    if (typeof body.contentType !== 'string' || body.contentType.length > 255) throw KV.badParameter('contentType must be a string of at most 255 characters.');
    out.contentType = body.contentType;
  }
  if (body.tags !== undefined && body.tags !== null) {
    if (typeof body.tags !== 'object' || Array.isArray(body.tags)) throw KV.badParameter('tags must be an object of strings.');
    const entries = Object.entries(body.tags as Record<string, unknown>);
    if (entries.length > 15) throw KV.badParameter('A secret has at most 15 tags.');
    for (const [k, v] of entries) {
      if (typeof v !== 'string' || k.length > 512 || v.length > 256) throw KV.badParameter('Tag names are at most 512 characters and values strings of at most 256.');
    }
    out.tags = Object.fromEntries(entries) as Record<string, string>;
  }
  const attrs = body.attributes;
  if (attrs !== undefined && attrs !== null) {
    if (typeof attrs !== 'object' || Array.isArray(attrs)) throw KV.badParameter('attributes must be an object.');
    const a = attrs as Record<string, unknown>;
    if (a.enabled !== undefined && a.enabled !== null) {
      if (typeof a.enabled !== 'boolean') throw KV.badParameter('attributes.enabled must be a boolean.');
      out.enabled = a.enabled;
    }
    for (const k of ['nbf', 'exp'] as const) {
      if (a[k] === undefined || a[k] === null) continue;
      if (typeof a[k] !== 'number' || !Number.isInteger(a[k]) || (a[k] as number) < 0) throw KV.badParameter(`attributes.${k} must be a time in seconds since 1970.`);
      out[k] = a[k] as number;
    }
  }
  return out;
}

function sameTags(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function tokenMessage(err: TokenRejected, tenantId: string): string {
  switch (err.code) {
    case 'missing': return 'AKV10000: Request is missing a Bearer or PoP token.';
    case 'audience': return `AKV10022: Invalid audience. Expected ${VAULT_RESOURCE}.`;
    case 'issuer': case 'tenant': return `AKV10032: Invalid issuer. The token must be issued by tenant ${tenantId}.`;
    case 'expired': return 'The access token has expired.';
    case 'not_yet_valid': return 'The access token is not valid yet.';
    default: return `The access token is invalid: ${err.message}`;
  }
}
