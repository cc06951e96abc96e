import { ARM_SCOPE, GRAPH_SCOPE, type Session } from '../auth/session.ts';

/** An error Lapis answered, in Azure's shapes (ARM / Graph `{"error":{"code","message"}}`). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const ARM_VERSION = { authorization: '2022-04-01', webPubSub: '2024-03-01', signalR: '2024-03-01', resources: '2022-09-01', keyVault: '2023-07-01' };

async function call<T>(session: Session, scope: string, method: string, path: string, body?: unknown): Promise<T> {
  const token = await session.token(scope);
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const json = text ? JSON.parse(text) as unknown : undefined;
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP${res.status}`, e?.message ?? text.slice(0, 300));
  }
  return json as T;
}

export function arm<T>(session: Session, method: string, path: string, apiVersion: string, body?: unknown): Promise<T> {
  const sep = path.includes('?') ? '&' : '?';
  return call<T>(session, ARM_SCOPE, method, `${path}${sep}api-version=${apiVersion}`, body);
}

export function graph<T>(session: Session, method: string, path: string, body?: unknown): Promise<T> {
  return call<T>(session, GRAPH_SCOPE, method, `/v1.0${path}`, body);
}

/** A data-plane call at another origin (a Key Vault's own URL) with a token for that service's resource. */
export function dataPlane<T>(session: Session, scope: string, method: string, url: string, body?: unknown): Promise<T> {
  return call<T>(session, scope, method, url, body);
}
