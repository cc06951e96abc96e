import { createHash, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, importX509, jwtVerify } from 'jose';
import { z } from 'zod';
import type { Application, Directory, KeyCredential } from '../../identity/index.ts';
import { GE, GraphError } from './errors.ts';

// Graph's two ways of adding a certificate: PATCH of the whole keyCredentials list (existing keys
// re-sent with their `key`, which GET ?$select=keyCredentials returns) and addKey with a proof of
// possession signed by a certificate the app already has.

/** Graph's audience for an addKey/removeKey proof (the legacy Azure AD Graph's app id). */
export const PROOF_AUDIENCE = '00000002-0000-0000-c000-000000000000';
/** Graph accepts a proof valid for at most ten minutes. */
const MAX_PROOF_LIFETIME_S = 600;
const CLOCK_SKEW_S = 300;

export const keyCredentialInput = z.looseObject({
  type: z.literal('AsymmetricX509Cert'),
  usage: z.literal('Verify').optional(),
  key: z.string().min(64).max(64 * 1024),
  keyId: z.string().uuid().optional(),
  displayName: z.string().max(256).nullable().optional(),
});
export type KeyCredentialInput = z.infer<typeof keyCredentialInput>;

export const addKeyBody = z.strictObject({
  keyCredential: keyCredentialInput,
  passwordCredential: z.null().optional(),
  proof: z.string().max(16 * 1024).optional(),
});

/** The certificate's DER in base64: what Graph's `key` holds. */
export function certificateBase64(k: KeyCredential): string {
  return k.certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
}

function derSha256(k: KeyCredential): string {
  return createHash('sha256').update(Buffer.from(certificateBase64(k), 'base64')).digest('hex');
}

/**
 * The list a PATCH asks for, built against the certificates stored now: an entry that re-sends an
 * existing certificate (same keyId, or same certificate without a keyId) keeps that credential; any
 * other entry is a new credential; stored ones the list leaves out are removed.
 */
export function replacementList(dir: Directory, current: KeyCredential[], wanted: KeyCredentialInput[]): KeyCredential[] {
  const out: KeyCredential[] = [];
  for (const w of wanted) {
    const wantedCred = dir.certificateCredential(w.keyId ?? randomUUID(), w.displayName ?? undefined, w.key);
    const sameCert = (k: KeyCredential) => derSha256(k) === derSha256(wantedCred);
    const kept = w.keyId ? current.find((k) => k.keyId === w.keyId!.toLowerCase() && sameCert(k)) : current.find(sameCert);
    const next = kept ? { ...kept, ...(w.displayName !== undefined ? { displayName: w.displayName ?? undefined } : {}) } : wantedCred;
    if (out.some((k) => k.keyId === next.keyId)) throw GE.badRequest(`Invalid value for 'keyCredentials': keyId '${next.keyId}' appears twice.`);
    out.push(next);
  }
  return out;
}

const proofError = (why: string) => new GraphError(400, 'Request_BadRequest', `Invalid proof: ${why}`);

/**
 * Checks addKey's proof of possession as Graph does: a JWT signed (RS256/PS256) with one of the
 * app's currently valid certificates, `aud` = PROOF_AUDIENCE, `iss` = the application's object id,
 * with `nbf` and `exp` at most ten minutes apart. An app with no valid certificate cannot use addKey.
 */
export async function verifyProof(app: Application, proof: string | undefined, nowMs = Date.now()): Promise<void> {
  const valid = app.keyCredentials.filter((k) => Date.parse(k.startDateTime) <= nowMs + CLOCK_SKEW_S * 1000 && Date.parse(k.endDateTime) > nowMs);
  if (!valid.length) throw GE.badRequest('The application has no valid certificate to prove possession of, so addKey cannot be used; add the certificate with PATCH /applications/{id} (keyCredentials) instead.');
  if (!proof) throw proofError("the 'proof' property is required: a JWT signed with one of the application's current certificates.");
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw proofError('it is not a JWT.');
  }
  const alg = header.alg === 'PS256' ? 'PS256' : header.alg === 'RS256' ? 'RS256' : undefined;
  if (!alg) throw proofError(`algorithm '${String(header.alg).slice(0, 20)}' is not accepted; use RS256 or PS256.`);
  const named = valid.filter((k) => (header.x5t && k.x5t === header.x5t) || (header['x5t#S256'] && k.x5tS256 === header['x5t#S256']));
  for (const k of named.length ? named : valid) {
    const key = await importX509(k.certPem, alg);
    let payload;
    try {
      ({ payload } = await jwtVerify(proof, key, { algorithms: [alg], audience: PROOF_AUDIENCE, issuer: app.id, clockTolerance: CLOCK_SKEW_S, currentDate: new Date(nowMs) }));
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') continue;
      throw proofError(`${(err as Error).message.slice(0, 200)} (the proof needs aud '${PROOF_AUDIENCE}', iss = the application's object id, nbf and exp).`);
    }
    if (typeof payload.nbf !== 'number' || typeof payload.exp !== 'number') throw proofError("it needs both 'nbf' and 'exp'.");
    if (payload.exp - payload.nbf > MAX_PROOF_LIFETIME_S) throw proofError("'exp' may be at most ten minutes after 'nbf'.");
    return;
  }
  throw proofError("its signature matches none of the application's current certificates.");
}
