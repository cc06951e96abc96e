import { randomBytes, randomUUID } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { E } from './errors.ts';
import { KIND } from './model.ts';
import { hashToken, newSecret } from './signin-session.ts';

/** Authorization codes are short-lived (Entra: about 10 minutes) and single use. */
export const CODE_LIFETIME_MS = 10 * 60_000;
/** Refresh tokens: Entra's 90-day inactivity window; each rotation starts a new window. */
export const REFRESH_LIFETIME_MS = 90 * 24 * 3600_000;
/** Device codes: Entra's 15 minutes, polled every 5 seconds. */
export const DEVICE_CODE_LIFETIME_S = 900;
export const DEVICE_POLL_INTERVAL_S = 5;

/** Who signed in, and for what: carried from the sign-in to the code, the device code and the refresh tokens. */
export interface Grant {
  tenantId: string;
  clientId: string;
  userId: string;
  /** The scope as requested at sign-in (resource scopes and OpenID scopes). */
  scope: string;
  /** Epoch seconds of the password check. */
  authTime: number;
  /** Whether the client may redeem without a secret (public redirect URI, device flow, fallback public client). */
  publicClient: boolean;
}

export interface CodeRecord extends Grant {
  id: string;
  redirectUri: string;
  codeChallenge?: string;
  nonce?: string;
  expiresAt: number;
  /** Set on redemption (compare-and-swap): a second redemption is refused and revokes this family. */
  redeemedFamily?: string;
}

export interface RefreshRecord extends Grant {
  id: string;
  familyId: string;
  expiresAt: number;
  /** Set when exchanged: presenting it again is a reuse. */
  usedAt?: number;
}

interface FamilyRevoked { id: string; revokedAt: number }

export interface DeviceRecord extends Omit<Grant, 'userId' | 'authTime'> {
  id: string;
  userCode: string;
  expiresAt: number;
  interval: number;
  status: 'pending' | 'approved' | 'declined' | 'redeemed';
  userId?: string;
  authTime?: number;
  lastPollAt?: number;
}

/** User codes: no vowels or look-alikes, so they neither spell words nor get misread. */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ23456789';

function userCode(): string {
  const bytes = randomBytes(9);
  return [...bytes].map((b) => USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length]).join('');
}

/**
 * The interactive flows' shared state, in the store so that any node can finish what another
 * began: a code issued by one node is redeemed on another, exactly once (compare-and-swap).
 * Only hashes of codes and tokens are stored.
 */
export class InteractiveStore {
  readonly #store: Store;
  /** The clock expiry is judged by (tests move it forward to see codes and device codes expire). */
  now: () => number = Date.now;
  constructor(store: Store) {
    this.#store = store;
  }

  async issueCode(grant: Grant, bound: { redirectUri: string; codeChallenge?: string; nonce?: string }, now = this.now()): Promise<string> {
    const code = `1.${newSecret(48)}`;
    const rec: CodeRecord = { ...grant, ...bound, id: hashToken(code), expiresAt: now + CODE_LIFETIME_MS };
    await this.#store.put(KIND.authorizationCode, rec.id, rec);
    return code;
  }

  /** Takes a code for redemption: once, before expiry. `familyId` is recorded so a replay can revoke what it led to. */
  async redeemCode(code: string, familyId: string, now = this.now()): Promise<CodeRecord> {
    if (code.length > 512) throw E.badGrant('code');
    const held = await this.#store.getVersioned<CodeRecord>(KIND.authorizationCode, hashToken(code));
    if (!held) throw E.badGrant('code');
    if (held.doc.redeemedFamily) {
      await this.revokeFamily(held.doc.redeemedFamily, now);
      throw E.codeRedeemed();
    }
    if (held.doc.expiresAt <= now) throw E.codeExpired();
    if (!(await this.#store.replaceIf(KIND.authorizationCode, held.doc.id, held.revision, { ...held.doc, redeemedFamily: familyId }))) throw E.codeRedeemed();
    return held.doc;
  }

  async issueRefreshToken(grant: Grant, familyId: string, now = this.now()): Promise<string> {
    const token = `1.${newSecret(64)}`;
    const rec: RefreshRecord = { ...grant, id: hashToken(token), familyId, expiresAt: now + REFRESH_LIFETIME_MS };
    await this.#store.put(KIND.refreshToken, rec.id, rec, familyId);
    return token;
  }

  /**
   * Rotation: a refresh token is exchanged once. Presenting it again (an attacker holding a copy,
   * or the client after it) revokes its whole family (every token since the sign-in), as OAuth
   * 2.0 Security BCP §4.14 recommends; the user signs in again.
   */
  async useRefreshToken(token: string, now = this.now()): Promise<RefreshRecord> {
    if (token.length > 1024) throw E.badGrant('refresh_token');
    const held = await this.#store.getVersioned<RefreshRecord>(KIND.refreshToken, hashToken(token));
    if (!held) throw E.badGrant('refresh_token');
    const rec = held.doc;
    if (await this.#familyRevoked(rec.familyId)) throw E.refreshRevoked();
    if (rec.usedAt === undefined && rec.expiresAt <= now) throw E.refreshExpired();
    if (rec.usedAt !== undefined || !(await this.#store.replaceIf(KIND.refreshToken, rec.id, held.revision, { ...rec, usedAt: now }, rec.familyId))) {
      await this.revokeFamily(rec.familyId, now);
      throw E.refreshRevoked();
    }
    return rec;
  }

  /**
   * Marks the family revoked; every use checks the mark. Its tokens stay (until they expire) so
   * that presenting one says "revoked" rather than "unknown".
   */
  async revokeFamily(familyId: string, now = this.now()): Promise<void> {
    await this.#store.insertIfAbsent<FamilyRevoked>(KIND.refreshToken, `family:${familyId}`, { id: `family:${familyId}`, revokedAt: now });
  }

  async #familyRevoked(familyId: string): Promise<boolean> {
    return (await this.#store.get(KIND.refreshToken, `family:${familyId}`)) !== undefined;
  }

  /** Is a family revoked after a token of it was issued (a reuse racing the rotation)? */
  familyRevoked(familyId: string): Promise<boolean> {
    return this.#familyRevoked(familyId);
  }

  newFamily(): string {
    return randomUUID();
  }

  async startDevice(grant: Omit<Grant, 'userId' | 'authTime'>, now = this.now()): Promise<{ deviceCode: string; record: DeviceRecord }> {
    const deviceCode = newSecret(48);
    for (let attempt = 0; attempt < 8; attempt++) {
      const code = userCode();
      const expiresAt = now + DEVICE_CODE_LIFETIME_S * 1000;
      if (!(await this.#store.insertIfAbsent(KIND.deviceUserCode, code, { id: code, deviceId: hashToken(deviceCode), expiresAt }))) continue;
      const record: DeviceRecord = { ...grant, id: hashToken(deviceCode), userCode: code, expiresAt, interval: DEVICE_POLL_INTERVAL_S, status: 'pending' };
      await this.#store.put(KIND.deviceCode, record.id, record);
      return { deviceCode, record };
    }
    throw new Error('could not find a free user code');
  }

  /** The pending device sign-in a user code names (codes are case-insensitive, dashes and spaces ignored). */
  async deviceByUserCode(typed: string, now = this.now()): Promise<DeviceRecord | undefined> {
    const code = typed.toUpperCase().replace(/[\s-]/g, '');
    if (!/^[A-Z0-9]{6,12}$/.test(code)) return undefined;
    const idx = await this.#store.get<{ deviceId: string; expiresAt: number }>(KIND.deviceUserCode, code);
    if (!idx || idx.expiresAt <= now) return undefined;
    const rec = await this.#store.get<DeviceRecord>(KIND.deviceCode, idx.deviceId);
    return rec && rec.status === 'pending' ? rec : undefined;
  }

  /** Approves or declines a pending device sign-in; false when it is no longer pending. */
  async decideDevice(id: string, decision: { approve: true; userId: string; authTime: number } | { approve: false }): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const held = await this.#store.getVersioned<DeviceRecord>(KIND.deviceCode, id);
      if (!held || held.doc.status !== 'pending' || held.doc.expiresAt <= this.now()) return false;
      const next: DeviceRecord = decision.approve
        ? { ...held.doc, status: 'approved', userId: decision.userId, authTime: decision.authTime }
        : { ...held.doc, status: 'declined' };
      if (await this.#store.replaceIf(KIND.deviceCode, id, held.revision, next)) return true;
    }
    return false;
  }

  /** One poll of the token endpoint: the approved record (taken once), or the polling error. */
  async pollDevice(deviceCode: string, now = this.now()): Promise<DeviceRecord & { userId: string; authTime: number }> {
    if (deviceCode.length > 512) throw E.badDeviceCode();
    const held = await this.#store.getVersioned<DeviceRecord>(KIND.deviceCode, hashToken(deviceCode));
    if (!held) throw E.badDeviceCode();
    const rec = held.doc;
    if (rec.status === 'redeemed') throw E.codeRedeemed();
    if (rec.status === 'declined') throw E.deviceDeclined();
    if (rec.expiresAt <= now) throw E.deviceCodeExpired();
    if (rec.status === 'pending') {
      // MSAL polls at the interval; a client polling at under half of it is told to slow down.
      const tooSoon = rec.lastPollAt !== undefined && now - rec.lastPollAt < rec.interval * 500;
      await this.#store.replaceIf(KIND.deviceCode, rec.id, held.revision, { ...rec, lastPollAt: now });
      throw tooSoon ? E.slowDown(rec.interval) : E.authorizationPending();
    }
    if (!(await this.#store.replaceIf(KIND.deviceCode, rec.id, held.revision, { ...rec, status: 'redeemed' }))) throw E.codeRedeemed();
    return rec as DeviceRecord & { userId: string; authTime: number };
  }

  /** Deletes expired codes, device codes and refresh tokens (run periodically). */
  async sweep(now = this.now()): Promise<void> {
    for (const kind of [KIND.authorizationCode, KIND.deviceCode, KIND.deviceUserCode, KIND.refreshToken]) {
      for (const r of await this.#store.list<{ id: string; expiresAt?: number; revokedAt?: number }>(kind)) {
        const end = r.expiresAt ?? (r.revokedAt !== undefined ? r.revokedAt + REFRESH_LIFETIME_MS : Infinity);
        // Redeemed codes stay until expiry plus a day, so a replay is still recognised (and revokes).
        if (end + (kind === KIND.authorizationCode ? 24 * 3600_000 : 0) <= now) await this.#store.delete(kind, r.id);
      }
    }
  }
}
