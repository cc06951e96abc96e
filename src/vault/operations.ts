/**
 * The secrets operations, one method each: authorise (RBAC or access policy, see auth.ts), validate,
 * act on the repository, answer in Key Vault's shape.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { VerifiedToken } from '../identity/index.ts';
import { authorize, type SecretOperation } from './auth.ts';
import type { VaultContext } from './context.ts';
import { KV } from './errors.ts';
import { MAX_SECRET_VALUE } from './schema.ts';
import { nowSeconds, type SecretDoc, type SecretRepository, type SecretVersionMeta } from './secrets.ts';
import { noContent, send, type SecretShapes } from './shapes.ts';

const VERSION_RE = /^[0-9a-f]{32}$/i;

export interface OperationDeps {
  ctx: VaultContext;
  repo: SecretRepository;
  shapes: SecretShapes;
  retentionDays: number;
  /** The verified caller of a request (set by authentication). */
  caller(req: FastifyRequest): VerifiedToken;
}

export class SecretOperations {
  readonly #d: OperationDeps;

  constructor(deps: OperationDeps) {
    this.#d = deps;
  }

  /** Authorises `op` at the secret's scope (or the vault's, without a name). */
  allow(req: FastifyRequest, op: SecretOperation, name?: string): void {
    const scope = name === undefined ? this.#d.ctx.resourceId : `${this.#d.ctx.resourceId}/secrets/${name}`;
    authorize(this.#d.ctx, this.#d.caller(req), op, scope, req);
  }

  list(req: FastifyRequest, reply: FastifyReply, apiVersion: string): FastifyReply {
    this.allow(req, 'list');
    const items = this.#d.repo.live().map((d) => this.#d.shapes.item(d.name, d.current, false));
    return send(reply, 200, this.#d.shapes.page(req, apiVersion, 'secrets', items));
  }

  async listVersions(req: FastifyRequest, reply: FastifyReply, name: string, apiVersion: string): Promise<FastifyReply> {
    this.allow(req, 'list', name);
    const doc = this.#live(name);
    const items = (await this.#d.repo.versions(doc.name)).reverse().map((v) => this.#d.shapes.item(doc.name, v, true));
    return send(reply, 200, this.#d.shapes.page(req, apiVersion, `secrets/${encodeURIComponent(doc.name)}/versions`, items));
  }

  async set(req: FastifyRequest, reply: FastifyReply, name: string): Promise<FastifyReply> {
    this.allow(req, 'set', name);
    const body = objectBody(req.body);
    if (typeof body.value !== 'string') throw KV.badParameter('The parameter value must be a string.');
    if (Buffer.byteLength(body.value, 'utf8') > MAX_SECRET_VALUE) throw KV.badParameter(`The secret value exceeds the maximum size of ${MAX_SECRET_VALUE} bytes.`);
    const meta = parseMetadata(body);
    const existing = this.#d.repo.get(name);
    if (existing?.deleted && !this.#expired(existing)) throw KV.deletedButRecoverable(existing.name);
    if (existing?.deleted) await this.#d.repo.purge(existing.name);
    const v = await this.#d.repo.set(name, { value: body.value, ...meta });
    const doc = this.#d.repo.get(name)!;
    return send(reply, 200, this.#d.shapes.bundle(doc.name, v));
  }

  async get(req: FastifyRequest, reply: FastifyReply, name: string, version: string | undefined): Promise<FastifyReply> {
    this.allow(req, 'get', name);
    // As stored now: a version set through another node a moment ago is the current one here too.
    const doc = this.#live(name, await this.#d.repo.fresh(name));
    const v = await this.#d.repo.readVersion(doc.name, this.#versionOf(doc, version));
    if (!v) throw KV.versionNotFound(doc.name, version ?? '');
    if (!v.enabled) throw KV.disabled();
    return send(reply, 200, this.#d.shapes.bundle(doc.name, v));
  }

  async update(req: FastifyRequest, reply: FastifyReply, name: string, version: string | undefined): Promise<FastifyReply> {
    this.allow(req, 'update', name);
    const body = objectBody(req.body);
    if ('value' in body && body.value !== undefined) throw KV.badParameter('The value of a secret cannot be changed by an update: set a new version instead.');
    const meta = parseMetadata(body);
    const doc = this.#live(name);
    const target = this.#versionOf(doc, version);
    const updated: SecretVersionMeta | undefined = await this.#d.repo.update(doc.name, target, meta);
    if (!updated) throw KV.versionNotFound(name, target);
    return send(reply, 200, this.#d.shapes.bundle(doc.name, updated));
  }

  async delete(req: FastifyRequest, reply: FastifyReply, name: string): Promise<FastifyReply> {
    this.allow(req, 'delete', name);
    const doc = this.#live(name);
    // Undefined when another node deleted it a moment before.
    const deleted = await this.#d.repo.softDelete(doc.name, this.#d.retentionDays);
    if (!deleted) throw KV.secretNotFound(name);
    return send(reply, 200, this.#d.shapes.deletedBundle(deleted));
  }

  listDeleted(req: FastifyRequest, reply: FastifyReply, apiVersion: string): FastifyReply {
    this.allow(req, 'list');
    const items = this.#d.repo.deleted().filter((d) => !this.#expired(d))
      .map((d) => ({ ...this.#d.shapes.item(d.name, d.current, false), ...this.#d.shapes.deletedFields(d) }));
    return send(reply, 200, this.#d.shapes.page(req, apiVersion, 'deletedsecrets', items));
  }

  getDeleted(req: FastifyRequest, reply: FastifyReply, name: string): FastifyReply {
    this.allow(req, 'list', name);
    return send(reply, 200, this.#d.shapes.deletedBundle(this.#deletedDoc(name)));
  }

  async purge(req: FastifyRequest, reply: FastifyReply, name: string): Promise<FastifyReply> {
    this.allow(req, 'purge', name);
    const doc = this.#deletedDoc(name);
    await this.#d.repo.purge(doc.name);
    return noContent(reply);
  }

  async recover(req: FastifyRequest, reply: FastifyReply, name: string): Promise<FastifyReply> {
    this.allow(req, 'recover', name);
    const doc = this.#deletedDoc(name);
    const recovered = await this.#d.repo.recover(doc.name);
    if (!recovered) throw KV.deletedNotFound(name);
    return send(reply, 200, this.#d.shapes.bundle(recovered.name, recovered.current));
  }

  // A deleted secret past its purge date is gone, whether or not the periodic sweep has run yet.
  #expired(doc: SecretDoc): boolean {
    return doc.deleted !== undefined && doc.deleted.scheduledPurgeDate <= nowSeconds();
  }

  #live(name: string, doc = this.#d.repo.get(name)): SecretDoc {
    if (!doc || doc.deleted) throw KV.secretNotFound(name);
    return doc;
  }

  #deletedDoc(name: string): SecretDoc {
    const doc = this.#d.repo.get(name);
    if (!doc?.deleted || this.#expired(doc)) throw KV.deletedNotFound(name);
    return doc;
  }

  /** The version id asked for (lower case), or the current one. */
  #versionOf(doc: SecretDoc, version: string | undefined): string {
    if (version === undefined || version === '') return doc.current.version;
    if (!VERSION_RE.test(version)) throw KV.versionNotFound(doc.name, version.slice(0, 64));
    return version.toLowerCase();
  }
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw KV.badParameter('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

type Metadata = { contentType?: string; tags?: Record<string, string>; enabled?: boolean; nbf?: number; exp?: number };

function parseMetadata(body: Record<string, unknown>): Metadata {
  const out: Metadata = {};
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
