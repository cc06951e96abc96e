/**
 * JWT time claims (`exp`, `nbf`, `iat`) as clients really write them: RFC 7519 says NumericDate
 * (a JSON number, fractions allowed: MSAL Python writes `iat` as `time.time()`), but MSAL.NET
 * writes a client assertion's `nbf` and `exp` as JSON strings of digits. Both are accepted; any
 * other shape (an empty string, "1e9", " 12", a negative or absurd value) is not a time.
 */
const NUMERIC_STRING = /^\d{1,12}(?:\.\d{1,9})?$/;
/** Year 9999: anything later is not a real clock value. */
const MAX_SECONDS = 253_402_300_799;

export type TimeClaim = { ok: true; value: number | undefined } | { ok: false };

/** Reads one time claim; `value` is undefined when the claim is absent. */
export function readTimeClaim(payload: Record<string, unknown>, name: string): TimeClaim {
  const raw = payload[name];
  if (raw === undefined) return { ok: true, value: undefined };
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && NUMERIC_STRING.test(raw)) n = Number(raw);
  else return { ok: false };
  if (!Number.isFinite(n) || n < 0 || n > MAX_SECONDS) return { ok: false };
  return { ok: true, value: n };
}

/** Seconds since the epoch as an ISO-8601 instant, for error messages. */
export function isoOf(seconds: number): string {
  return new Date(Math.floor(seconds) * 1000).toISOString();
}
