/**
 * Request authentication is a chain: each authenticator looks at the request and either returns a
 * result (its kind of credential, valid), returns null (not its kind), or throws
 * `AuthenticationError` (its kind, invalid). The first non-null result wins. The authenticator that
 * produced the result then authorises the route's RBAC DataAction, so Entra bearer tokens + RBAC
 * slot in as one more authenticator without touching any route.
 */
export interface DataPlaneRequest {
  method: string;
  /** Raw path and query as received (what access-key tokens' `aud` is compared with). */
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** ARM id of the resource addressed. */
  resourceId: string;
  /** Hub named by the route, lower-cased, when there is one. */
  hub?: string | undefined;
}

export interface DataPlaneAuth {
  /** Which authenticator accepted the request, e.g. `accessKey`, `entra`. */
  kind: string;
  /** Who the caller is (object id for Entra principals; `accessKey` for keys). */
  principal: string;
  claims?: Record<string, unknown>;
}

export interface DataPlaneAuthenticator {
  readonly kind: string;
  authenticate(request: DataPlaneRequest): Promise<DataPlaneAuth | null>;
  /**
   * Checks that `auth` may perform `dataAction` (e.g. `Microsoft.SignalRService/WebPubSub/hub/send/action`)
   * on the request's resource/hub; throws `AuthorizationError` (403) otherwise. Absent = allowed.
   */
  authorize?(auth: DataPlaneAuth, dataAction: string, request: DataPlaneRequest): Promise<void> | void;
}

/** Reads `Authorization: Bearer <token>`; undefined when absent or another scheme. */
export function bearerToken(headers: DataPlaneRequest['headers']): string | undefined {
  const h = headers['authorization'];
  const value = Array.isArray(h) ? h[0] : h;
  if (!value) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return m ? m[1] : undefined;
}
