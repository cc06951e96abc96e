/**
 * REST `:send` bodies → `SignalRMessage`. Two forms reach the service (reference §1.4):
 *  - JSON `{"target": "...", "arguments": [...]}`; the .NET Management SDK writes `Target` /
 *    `Arguments`, so property names are matched case-insensitively.
 *  - `application/octet-stream`: a MessagePack map from protocol name to the framed Invocation
 *    bytes for that protocol, forwarded verbatim.
 * Both are validated here once, so encoding later cannot fail.
 */
import { Decoder } from '@msgpack/msgpack';
import { SignalRMessage } from './message.ts';
import { isPlainObject } from './shape.ts';

/** System.Text.Json's and Json.NET's default maximum depth; deeper REST payloads are refused. */
export const MAX_ARGUMENT_DEPTH = 64;

export type PayloadResult = { ok: true; message: SignalRMessage } | { ok: false; message: string };

export function parsePayloadMessage(body: Buffer): PayloadResult {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return fail('The request body is not valid JSON.');
  }
  if (!isPlainObject(value)) return fail('The request body must be a JSON object with a target and arguments.');
  let target: unknown;
  let args: unknown;
  for (const key of Object.keys(value)) {
    const lower = key.toLowerCase();
    if (lower === 'target') target = value[key];
    else if (lower === 'arguments') args = value[key];
  }
  if (typeof target !== 'string' || target.length === 0) return fail("The 'target' field is required and must be a non-empty string.");
  if (args === undefined || args === null) args = [];
  if (!Array.isArray(args)) return fail("The 'arguments' field must be an array.");
  if (depthExceeds(args, MAX_ARGUMENT_DEPTH)) return fail(`The arguments are nested deeper than ${MAX_ARGUMENT_DEPTH} levels.`);
  return { ok: true, message: SignalRMessage.invocation(target, args) };
}

const mapDecoder = new Decoder({ maxStrLength: 64, maxMapLength: 16, maxArrayLength: 16 });

export function parseBinaryPayload(body: Buffer): PayloadResult {
  let value: unknown;
  try {
    value = mapDecoder.decode(body);
  } catch {
    return fail('The request body is not a MessagePack map of protocol name to payload.');
  }
  if (!isPlainObject(value)) return fail('The request body is not a MessagePack map of protocol name to payload.');
  const bytes: { json?: Buffer; messagepack?: Buffer } = {};
  for (const [name, payload] of Object.entries(value)) {
    if (!(payload instanceof Uint8Array)) return fail(`The payload for protocol '${name.slice(0, 64)}' must be binary.`);
    const copy = Buffer.from(payload);
    if (name.toLowerCase() === 'json') bytes.json = copy;
    else if (name.toLowerCase() === 'messagepack') bytes.messagepack = copy;
  }
  if (!bytes.json && !bytes.messagepack) return fail("The request body has no payload for the 'json' or 'messagepack' protocol.");
  return { ok: true, message: SignalRMessage.preEncoded(bytes) };
}

/** Iterative, so a hostile nesting cannot overflow the stack; stops at the first too-deep value. */
function depthExceeds(root: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > max) return true;
    if (Array.isArray(value)) for (const v of value) stack.push([v, depth + 1]);
    else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) stack.push([v, depth + 1]);
  }
  return false;
}

function fail(message: string): PayloadResult {
  return { ok: false, message };
}
