/**
 * The Client URL Generator's token, made in the browser as the Azure portal makes it: an HS256
 * client access token signed with the resource's access key (webpubsub-protocol §3.2: `aud` =
 * `{endpoint}/client/hubs/{hub}`, `sub` = user id, `role`, `webpubsub.group`, `exp`), appended to
 * the client endpoint as `access_token`. Nothing entered is stored.
 */
export interface ClientUrlInput { hub: string; userId: string; roles: string[]; groups: string[]; minutes: number }

/** Hub names Azure accepts (a letter, then letters, digits and _`,.[] up to 128). */
export const HUB_NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const text = (s: string) => b64url(new TextEncoder().encode(s));

/** `Endpoint=https://host:port;AccessKey=…;Version=1.0;` → its parts. */
export function parseConnectionString(cs: string): { endpoint: string; accessKey: string } | undefined {
  const parts = new Map(cs.split(';').filter(Boolean).map((p) => { const i = p.indexOf('='); return [p.slice(0, i).toLowerCase(), p.slice(i + 1)] as [string, string]; }));
  const endpoint = parts.get('endpoint');
  const accessKey = parts.get('accesskey');
  if (!endpoint || !accessKey) return undefined;
  const port = parts.get('port');
  const url = new URL(endpoint);
  if (port) url.port = port;
  return { endpoint: url.origin, accessKey };
}

/** Splits a comma- or space-separated list, dropping empties and duplicates. */
export const splitList = (s: string) => [...new Set(s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean))];

export async function clientAccessUrl(connectionString: string, input: ClientUrlInput, now = Date.now()): Promise<string> {
  const cs = parseConnectionString(connectionString);
  if (!cs) throw new Error('The connection string has no Endpoint or AccessKey.');
  const hub = input.hub.toLowerCase();
  const iat = Math.floor(now / 1000);
  const claims: Record<string, unknown> = { aud: `${cs.endpoint}/client/hubs/${hub}`, iat, exp: iat + Math.round(input.minutes * 60) };
  if (input.userId) claims.sub = input.userId;
  if (input.roles.length) claims.role = input.roles;
  if (input.groups.length) claims['webpubsub.group'] = input.groups;
  const signing = `${text(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${text(JSON.stringify(claims))}`;
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(cs.accessKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(signing)));
  const ws = cs.endpoint.replace(/^http/i, 'ws');
  return `${ws}/client/hubs/${hub}?access_token=${signing}.${b64url(sig)}`;
}
