/**
 * Maps a vault request (`/secrets…`, `/deletedsecrets…`) to its operation. Keys, certificates and
 * storage accounts are answered with 501: Lapis vaults serve secrets only.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KV } from './errors.ts';
import type { SecretOperations } from './operations.ts';
import { SECRET_NAME } from './schema.ts';

export const VAULT_COLLECTIONS = ['secrets', 'deletedsecrets', 'keys', 'deletedkeys', 'certificates', 'deletedcertificates', 'storage'] as const;

const isRead = (m: string) => m === 'GET' || m === 'HEAD';

export async function routeSecretRequest(ops: SecretOperations, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
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
  const method = req.method;
  const kind = collection.toLowerCase();
  if (kind !== 'secrets' && kind !== 'deletedsecrets') {
    throw KV.notImplemented(`Lapis vaults serve secrets only: ${kind.replace(/^deleted/, '')} are not supported.`);
  }
  const apiVersion = String((req.query as Record<string, unknown>)['api-version']);
  const atCollection = rest.length === 0 || (rest.length === 1 && rest[0] === '');
  return kind === 'secrets'
    ? secrets(ops, req, reply, method, atCollection ? [] : rest, apiVersion)
    : deletedSecrets(ops, req, reply, method, atCollection ? [] : rest, apiVersion);
}

async function secrets(ops: SecretOperations, req: FastifyRequest, reply: FastifyReply, method: string, rest: string[], apiVersion: string): Promise<unknown> {
  if (rest.length === 0) {
    if (!isRead(method)) throw KV.methodNotAllowed();
    return ops.list(req, reply, apiVersion);
  }
  const name = rest[0]!;
  if (rest.length === 1 && name.toLowerCase() === 'restore' && method === 'POST') {
    ops.allow(req, 'restore');
    throw KV.notImplemented('Restoring secret backups is not supported by Lapis.');
  }
  checkName(name);
  if (rest.length === 1) {
    switch (method) {
      case 'PUT': return ops.set(req, reply, name);
      case 'GET': case 'HEAD': return ops.get(req, reply, name, undefined);
      case 'PATCH': return ops.update(req, reply, name, undefined);
      case 'DELETE': return ops.delete(req, reply, name);
      default: throw KV.methodNotAllowed();
    }
  }
  if (rest.length !== 2) throw KV.notFound();
  const second = rest[1]!;
  if (second.toLowerCase() === 'versions') {
    if (!isRead(method)) throw KV.methodNotAllowed();
    return ops.listVersions(req, reply, name, apiVersion);
  }
  if (second.toLowerCase() === 'backup' && method === 'POST') {
    ops.allow(req, 'backup', name);
    throw KV.notImplemented('Secret backups are not supported by Lapis.');
  }
  const version = second === '' ? undefined : second;
  if (isRead(method)) return ops.get(req, reply, name, version);
  if (method === 'PATCH') return ops.update(req, reply, name, version);
  throw KV.methodNotAllowed();
}

async function deletedSecrets(ops: SecretOperations, req: FastifyRequest, reply: FastifyReply, method: string, rest: string[], apiVersion: string): Promise<unknown> {
  if (rest.length === 0) {
    if (!isRead(method)) throw KV.methodNotAllowed();
    return ops.listDeleted(req, reply, apiVersion);
  }
  const name = rest[0]!;
  checkName(name);
  if (rest.length === 1) {
    if (isRead(method)) return ops.getDeleted(req, reply, name);
    if (method === 'DELETE') return ops.purge(req, reply, name);
    throw KV.methodNotAllowed();
  }
  if (rest.length === 2 && rest[1]!.toLowerCase() === 'recover' && method === 'POST') return ops.recover(req, reply, name);
  throw KV.notFound();
}

function checkName(name: string): void {
  if (!SECRET_NAME.test(name)) throw KV.badName(name);
}
