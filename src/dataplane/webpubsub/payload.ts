/** REST send bodies → core payloads (reference §1.3): media type decides, charset honoured. */
import { TextDecoder } from 'node:util';
import type { Payload } from '../../messaging/index.ts';
import { badRequest, dataPlaneErrors } from './errors.ts';

export function parseMediaType(contentType: string | undefined): { type: string; charset: string | undefined } {
  if (!contentType) return { type: '', charset: undefined };
  const [type, ...params] = contentType.split(';');
  let charset: string | undefined;
  for (const p of params) {
    const m = /^\s*charset\s*=\s*"?([^";]+)"?\s*$/i.exec(p);
    if (m) charset = m[1]!.toLowerCase();
  }
  return { type: type!.trim().toLowerCase(), charset };
}

function decodeText(body: Buffer, charset: string | undefined, what: string): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset ?? 'utf-8', { fatal: true });
  } catch {
    throw dataPlaneErrors.unsupportedMediaType(`Unsupported charset '${charset}'.`);
  }
  try {
    return decoder.decode(body); // also drops a leading BOM
  } catch {
    throw badRequest(`The request body is not valid ${charset ?? 'utf-8'} ${what}.`);
  }
}

export function parseSendPayload(contentType: string | undefined, body: Buffer | undefined): Payload {
  const data = body ?? Buffer.alloc(0);
  const { type, charset } = parseMediaType(contentType);
  switch (type) {
    case '':
    case 'application/octet-stream':
      return { kind: 'binary', data };
    case 'text/plain':
      return { kind: 'text', data: Buffer.from(decodeText(data, charset, 'text'), 'utf8') };
    case 'application/json': {
      const text = decodeText(data, charset, 'text');
      try {
        JSON.parse(text);
      } catch {
        throw badRequest('The request body is not a valid JSON.');
      }
      // Re-encoded only when needed: the JSON text is later inlined verbatim into client frames.
      const sameBytes = (charset === undefined || charset === 'utf-8' || charset === 'utf8') && data[0] !== 0xef;
      return { kind: 'json', data: sameBytes ? data : Buffer.from(text, 'utf8') };
    }
    default:
      throw dataPlaneErrors.unsupportedMediaType(`Content-Type '${type}' is not supported: use text/plain, application/json or application/octet-stream.`);
  }
}
