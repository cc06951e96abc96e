/**
 * What of a refused request may be kept in a denial record. A denial record is read by people
 * other than the caller (an administrator of the scope), so it keeps only what explains the
 * decision: the token's identifying claims (never the token, its signature or anything that
 * grants access) and the request path with query values blanked except harmless ones.
 */

/** Claims that say who the caller is and what the token was for; every other claim is dropped. */
const KEPT_CLAIMS = new Set([
  'aud', 'iss', 'iat', 'nbf', 'exp', 'tid', 'oid', 'sub', 'appid', 'azp', 'appidacr', 'azpacr', 'idtyp', 'ver',
  'upn', 'unique_name', 'preferred_username', 'name', 'roles', 'scp', 'xms_mirid', 'role', 'userId', 'nameid',
]);
const MAX_STRING = 256;
const MAX_ITEMS = 20;
const MAX_PATH = 512;
/** Query parameters whose values explain a request and grant nothing. */
const SAFE_QUERY = new Set(['api-version', 'hub', 'group', 'userid', 'role', 'minutestoexpire', 'excluded', 'maxresults', 'maxpagesize']);

const cut = (s: string, n = MAX_STRING) => (s.length > n ? `${s.slice(0, n)}…` : s);

function keepValue(v: unknown): unknown {
  if (typeof v === 'string') return cut(v);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.slice(0, MAX_ITEMS).map((x) => (typeof x === 'string' ? cut(x) : typeof x === 'number' || typeof x === 'boolean' ? x : null));
  return undefined;
}

/** The allow-listed claims of a decoded token payload, strings and lists shortened. */
export function redactClaims(payload: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!payload || typeof payload !== 'object') return out;
  for (const [k, v] of Object.entries(payload)) {
    if (!KEPT_CLAIMS.has(k)) continue;
    const kept = keepValue(v);
    if (kept !== undefined) out[k] = kept;
  }
  return out;
}

/**
 * The request's path with its query: values of parameters not known to be harmless become `***`
 * (a client URL's `access_token`, a SAS `sig`, an authorization `code`…).
 */
export function redactPath(url: string): string {
  const q = url.indexOf('?');
  const path = cut(q < 0 ? url : url.slice(0, q), MAX_PATH);
  if (q < 0) return path;
  const parts: string[] = [];
  for (const pair of url.slice(q + 1).split('&').slice(0, 20)) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = cut(eq < 0 ? pair : pair.slice(0, eq), 64);
    let name = key;
    try {
      name = decodeURIComponent(key);
    } catch { /* keep as sent */ }
    parts.push(eq < 0 ? key : `${key}=${SAFE_QUERY.has(name.toLowerCase()) ? cut(pair.slice(eq + 1), 128) : '***'}`);
  }
  return parts.length ? `${path}?${parts.join('&')}` : path;
}
