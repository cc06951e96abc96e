/**
 * `aud` rules of SignalR access-key tokens (reference §1.5, §2.2). The .NET SDK signs REST tokens
 * for `{scheme}://{host}/api/hubs/{hub}…?api-version=…` (port dropped, query included); the docs
 * say the URL without query and trailing slash. Both sides are normalised to scheme + host (port
 * ignored, case-insensitive) + path (query and trailing `/` stripped, hub segment lower-cased).
 * Client tokens keep the `hub` query: `{scheme}://{host}/client/?hub={hub}`, port dropped by the
 * SDK and kept by hand-made tokens, hub compared case-insensitively.
 */

interface ParsedUrl {
  scheme: string;
  hostname: string;
  path: string;
  query: string;
}

/** Parses an absolute URL leniently (raw paths may hold characters `new URL` would re-encode). */
export function parseAbsolute(url: string): ParsedUrl | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/i.exec(url);
  if (!m) return undefined;
  let host = m[2]!.toLowerCase();
  const at = host.lastIndexOf('@');
  if (at >= 0) host = host.slice(at + 1);
  const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
  return { scheme: wsToHttp(m[1]!.toLowerCase()), hostname, path: m[3] || '/', query: m[4] ?? '' };
}

function wsToHttp(scheme: string): string {
  return scheme === 'ws' ? 'http' : scheme === 'wss' ? 'https' : scheme;
}

/** The comparable forms of a REST URL: as given and percent-decoded once (clients encode differently). */
function restForms(url: string): string[] {
  const u = parseAbsolute(url);
  if (!u) return [];
  const segments = u.path.replace(/\/+$/, '').split('/');
  for (let i = 0; i < segments.length - 1; i++) {
    if (segments[i]!.toLowerCase() === 'hubs') segments[i + 1] = segments[i + 1]!.toLowerCase();
  }
  const path = segments.join('/');
  const forms = [`${u.scheme}://${u.hostname}${path}`];
  const decoded = safeDecode(path);
  if (decoded !== undefined && decoded !== path) forms.push(`${u.scheme}://${u.hostname}${decoded}`);
  return forms;
}

/** Does the token's `aud` (string or array) name this REST request URL (`scheme://host[:port]/raw/path?query`)? */
export function restAudienceMatches(aud: unknown, requestUrl: string): boolean {
  const wanted = new Set(restForms(requestUrl));
  for (const a of Array.isArray(aud) ? aud : [aud]) {
    if (typeof a !== 'string') continue;
    if (restForms(a).some((f) => wanted.has(f))) return true;
  }
  return false;
}

/**
 * Does the token's `aud` name this hub's endpoint (`/client` for clients, `/server` for app
 * servers) on this origin (`scheme://host[:port]`)? The port is ignored (the SDKs drop it), the
 * hub compared case-insensitively.
 */
export function endpointAudienceMatches(aud: unknown, requestOrigin: string, endpointPath: '/client' | '/server', hub: string): boolean {
  const origin = parseAbsolute(requestOrigin);
  if (!origin) return false;
  for (const a of Array.isArray(aud) ? aud : [aud]) {
    if (typeof a !== 'string') continue;
    const u = parseAbsolute(a);
    if (!u || u.scheme !== origin.scheme || u.hostname !== origin.hostname) continue;
    if (u.path.replace(/\/+$/, '').toLowerCase() !== endpointPath) continue;
    const audHub = new URLSearchParams(u.query).get('hub');
    if (audHub !== null && audHub.toLowerCase() === hub.toLowerCase()) return true;
  }
  return false;
}

/** `endpointAudienceMatches` for the client endpoint. */
export function clientAudienceMatches(aud: unknown, requestOrigin: string, hub: string): boolean {
  return endpointAudienceMatches(aud, requestOrigin, '/client', hub);
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
