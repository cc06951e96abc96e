/**
 * What the inspector shows instead of secrets. Access keys never reach it; bearer tokens are
 * shown decoded without their signature (header and claims: who called, for which audience);
 * request signatures and cookies are replaced by a description; query values whose names look
 * like credentials are hidden; bodies are cut to a documented size.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';

/** Largest part of a request or response body kept for display (docs/live-trace.md). */
export const MAX_BODY_PREVIEW_BYTES = 16 * 1024;
/** Longest message preview in a live trace event. */
export const MAX_MESSAGE_PREVIEW_CHARS = 256;

const SIGNATURE_HEADERS = new Set(['ce-signature', 'x-asrs-signature']);
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-functions-key', 'api-key', 'x-api-key', 'ocp-apim-subscription-key']);
const SECRET_QUERY = /(token|sig|code|key|secret|password|pwd|credential)/i;

export const REDACTED = '<redacted>';

/** Header values safe to show: credentials replaced, signatures described. */
export function redactHeaders(headers: Record<string, string | string[] | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : String(raw);
    const lower = name.toLowerCase();
    if (SIGNATURE_HEADERS.has(lower)) out[name] = describeSignature(value);
    else if (lower === 'authorization' && /^bearer /i.test(value)) out[name] = `Bearer ${REDACTED} (decoded below)`;
    else if (SECRET_HEADERS.has(lower)) out[name] = REDACTED;
    else out[name] = value.length > 1024 ? `${value.slice(0, 1024)}…` : value;
  }
  return out;
}

/** `sha256=…,sha256=…` → `2 × sha256 (redacted)`: one HMAC per access key, never the HMACs. */
export function describeSignature(value: string): string {
  const parts = value.split(',').map((p) => p.trim()).filter(Boolean);
  const algorithms = [...new Set(parts.map((p) => p.split('=')[0]!.toLowerCase()))];
  return `${parts.length} × ${algorithms.join('/') || 'signature'} ${REDACTED}`;
}

/** A URL for display: query values whose names look like credentials hidden. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.length > 2048 ? `${url.slice(0, 2048)}…` : url;
  }
  if (u.username || u.password) {
    u.username = '';
    u.password = '';
  }
  const params = [...u.searchParams.keys()];
  for (const k of new Set(params)) if (SECRET_QUERY.test(k)) u.searchParams.set(k, REDACTED);
  return u.href;
}

export interface DecodedToken {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** Always true: the signature is never shown. */
  signatureRemoved: true;
}

/** `Bearer <jwt>` → its header and claims; undefined when it is not a JWT. */
export function decodeBearer(authorization: string | undefined): DecodedToken | undefined {
  if (!authorization) return undefined;
  const token = authorization.replace(/^bearer\s+/i, '');
  try {
    return { header: decodeProtectedHeader(token) as Record<string, unknown>, claims: decodeJwt(token) as Record<string, unknown>, signatureRemoved: true };
  } catch {
    return undefined;
  }
}

export interface BodyPreview {
  /** UTF-8 text when the body is text, else base64. */
  encoding: 'utf8' | 'base64';
  text: string;
  bytes: number;
  truncated: boolean;
}

/**
 * A body cut to `MAX_BODY_PREVIEW_BYTES`, as text when it is valid UTF-8. `bytes` is the whole
 * body's size when `body` is already a kept cut of it (the inspector keeps no more than it shows).
 */
export function previewBody(body: Buffer, contentType?: string, bytes = body.length): BodyPreview {
  const cut = body.subarray(0, MAX_BODY_PREVIEW_BYTES);
  const truncated = bytes > cut.length;
  const binary = contentType !== undefined && /octet-stream|protobuf|msgpack/i.test(contentType);
  if (!binary) {
    const text = cut.toString('utf8');
    // A cut in the middle of a character leaves one replacement char at the end: still text.
    if (!text.slice(0, truncated ? -1 : undefined).includes('\uFFFD')) return { encoding: 'utf8', text, bytes, truncated };
  }
  return { encoding: 'base64', text: cut.toString('base64'), bytes, truncated };
}

/** A one-line preview of a message for the live trace. */
export function messagePreview(kind: string, data: Buffer): string {
  if (kind === 'binary') return `binary, ${data.length} bytes`;
  const text = data.subarray(0, MAX_MESSAGE_PREVIEW_CHARS * 4).toString('utf8');
  const one = text.replace(/\s+/g, ' ');
  return `${kind}: ${one.length > MAX_MESSAGE_PREVIEW_CHARS ? `${one.slice(0, MAX_MESSAGE_PREVIEW_CHARS)}…` : one}`;
}
