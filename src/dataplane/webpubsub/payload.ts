/**
 * REST send bodies → core payloads (reference §1.3): media type decides, charset honoured.
 * UTF-8 bodies (the usual case) are validated in place and passed through as the bytes received:
 * no decoding to a string and encoding back. Other charsets are decoded once, by a decoder
 * shared per charset.
 */
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import type { Payload } from '../../messaging/index.ts';
import { badRequest, dataPlaneErrors } from './errors.ts';

export interface MediaType {
  type: string;
  charset: string | undefined;
}

const NO_MEDIA_TYPE: MediaType = Object.freeze({ type: '', charset: undefined });

export function parseMediaType(contentType: string | undefined): MediaType {
  if (!contentType) return NO_MEDIA_TYPE;
  if (!contentType.includes(';')) return { type: contentType.trim().toLowerCase(), charset: undefined };
  const [type, ...params] = contentType.split(';');
  let charset: string | undefined;
  for (const p of params) {
    const m = /^\s*charset\s*=\s*"?([^";]+)"?\s*$/i.exec(p);
    if (m) charset = m[1]!.toLowerCase();
  }
  return { type: type!.trim().toLowerCase(), charset };
}

const isUtf8Label = (charset: string | undefined) => charset === undefined || charset === 'utf-8' || charset === 'utf8';

/** Fatal decoders are stateless between `decode()` calls: one per charset label serves every request. */
const decoders = new Map<string, TextDecoder>();

function decoderFor(charset: string): TextDecoder {
  let d = decoders.get(charset);
  if (!d) {
    try {
      d = new TextDecoder(charset, { fatal: true });
    } catch {
      throw dataPlaneErrors.unsupportedMediaType(`Unsupported charset '${charset}'.`);
    }
    decoders.set(charset, d); // only labels the decoder knows get here: a bounded set
  }
  return d;
}

/** Valid UTF-8 without a leading BOM (dropped, as a decoder drops it), as the same bytes. */
function utf8Body(body: Buffer, charset: string | undefined, what: string): Buffer {
  if (!isUtf8(body)) throw badRequest(`The request body is not valid ${charset ?? 'utf-8'} ${what}.`);
  return body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? body.subarray(3) : body;
}

function decodeText(body: Buffer, charset: string, what: string): string {
  const decoder = decoderFor(charset);
  try {
    return decoder.decode(body); // also drops a leading BOM
  } catch {
    throw badRequest(`The request body is not valid ${charset} ${what}.`);
  }
}

const EMPTY = Buffer.alloc(0);

export function parseSendPayload(contentType: string | undefined, body: Buffer | undefined): Payload {
  const data = body ?? EMPTY;
  const { type, charset } = parseMediaType(contentType);
  switch (type) {
    case '':
    case 'application/octet-stream':
      return { kind: 'binary', data };
    case 'text/plain':
      if (isUtf8Label(charset)) return { kind: 'text', data: utf8Body(data, charset, 'text') };
      return { kind: 'text', data: Buffer.from(decodeText(data, charset!, 'text'), 'utf8') };
    case 'application/json': {
      // Validated (Azure answers 400 for a body that is not JSON), then inlined verbatim into client frames.
      const utf8 = isUtf8Label(charset) ? utf8Body(data, charset, 'text') : undefined;
      const text = utf8 ? utf8.toString('utf8') : decodeText(data, charset!, 'text');
      try {
        JSON.parse(text);
      } catch {
        throw badRequest('The request body is not a valid JSON.');
      }
      return { kind: 'json', data: utf8 ?? Buffer.from(text, 'utf8') };
    }
    default:
      throw dataPlaneErrors.unsupportedMediaType(`Content-Type '${type}' is not supported: use text/plain, application/json or application/octet-stream.`);
  }
}
