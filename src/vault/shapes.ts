/**
 * Key Vault's JSON for secrets: bundles, list items, deleted-secret fields, pages, and the reply
 * headers every answer carries. Times are seconds since 1970.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KV, type VaultError } from './errors.ts';
import type { SecretDoc, SecretVersion, SecretVersionMeta } from './secrets.ts';

const MAX_PAGE = 25;

export class SecretShapes {
  readonly #base: () => string;
  readonly #retention: number;

  /** `vaultUri` is the vault's origin; `retentionDays` is reported as `recoverableDays`. */
  constructor(vaultUri: () => string, retentionDays: number) {
    this.#base = () => vaultUri().replace(/\/+$/, '');
    this.#retention = retentionDays;
  }

  attributes(v: SecretVersionMeta): Record<string, unknown> {
    return {
      enabled: v.enabled,
      ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
      created: v.created,
      updated: v.updated,
      recoveryLevel: 'Recoverable+Purgeable',
      recoverableDays: this.#retention,
    };
  }

  /** A SecretBundle; the value only when `v` carries one. */
  bundle(name: string, v: SecretVersionMeta | SecretVersion): Record<string, unknown> {
    return {
      ...('value' in v ? { value: v.value } : {}),
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      id: `${this.#base()}/secrets/${name}/${v.version}`,
      attributes: this.attributes(v),
      ...(v.tags ? { tags: v.tags } : {}),
    };
  }

  /** A SecretItem (lists): never a value; versions lists name the version in the id. */
  item(name: string, v: SecretVersionMeta, withVersion: boolean): Record<string, unknown> {
    return {
      id: `${this.#base()}/secrets/${name}${withVersion ? `/${v.version}` : ''}`,
      attributes: this.attributes(v),
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      ...(v.tags ? { tags: v.tags } : {}),
    };
  }

  deletedFields(doc: SecretDoc): Record<string, unknown> {
    return { recoveryId: `${this.#base()}/deletedsecrets/${doc.name}`, deletedDate: doc.deleted!.deletedDate, scheduledPurgeDate: doc.deleted!.scheduledPurgeDate };
  }

  deletedBundle(doc: SecretDoc): Record<string, unknown> {
    return { ...this.bundle(doc.name, doc.current), ...this.deletedFields(doc) };
  }

  /** One page (`maxresults` 1–25, default 25) with a self-contained `nextLink`. */
  page(req: FastifyRequest, apiVersion: string, path: string, items: Record<string, unknown>[]): Record<string, unknown> {
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
}

export function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-ms-request-id', randomUUID())
    .send(JSON.stringify(body));
}

export function sendError(reply: FastifyReply, err: VaultError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return send(reply, err.status, err.body());
}

export function noContent(reply: FastifyReply): FastifyReply {
  return reply.code(204).header('x-ms-request-id', randomUUID()).send();
}
