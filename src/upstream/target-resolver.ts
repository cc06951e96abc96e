/**
 * Where and with what credentials a handler's requests go, whatever the protocol: Key Vault
 * references in the URL template resolved with the resource's identity, the managed-identity
 * bearer token, URL placeholders filled in (`{hub}`, `{event}`, and any other a protocol names,
 * e.g. SignalR's `{category}`), and — when the protocol asks for it — abuse-protection validation
 * of the URL before first use (Web PubSub does; SignalR's upstream does not).
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ManagedIdentity } from '../identity/index.ts';
import { HandlerUnavailable, KeyVaultReferenceError, ManagedIdentityUnavailable } from './errors.ts';
import type { UpstreamErrorCode } from './errors.ts';
import type { UpstreamHttpClient } from './http.ts';
import type { KeyVaultResolver } from './keyvault.ts';
import type { KeyVaultReference, TemplatePart } from './settings.ts';
import type { ManagedIdentityTokens } from './tokens.ts';
import type { WebhookValidator } from './validation.ts';

/** What the resolver needs of a handler, whichever protocol's settings it came from. */
export interface TargetTemplate {
  index: number;
  parts: TemplatePart[];
  keyVaultReferences: KeyVaultReference[];
  /** Entra resource to get tokens for (ManagedIdentity auth), undefined for none. */
  audienceResource: string | undefined;
  /** Set when the settings are unusable: every use fails with this reason. */
  error?: string | undefined;
}

/** A handler ready to receive: its URL for given placeholder values, and the header to send. */
export interface ResolvedTarget {
  url(placeholders: Record<string, string>): URL;
  authorization: string | undefined;
}

export interface TargetResolverOptions {
  http: UpstreamHttpClient;
  keyVault: KeyVaultResolver;
  tokens: ManagedIdentityTokens;
  getManagedIdentity(): ManagedIdentity | undefined;
  allowPrivateTargets(): boolean;
  /** Abuse protection; absent for protocols without it. */
  validator?: WebhookValidator | undefined;
  /** The placeholders of the validation URL (Web PubSub: `{event}` = `validate`). */
  validationPlaceholders?(hub: string): Record<string, string>;
  validationTimeoutMs: number;
  /** Every outcome (validated, or failed with a code and reason), for the handler's status. */
  report(hub: string, index: number, outcome: { status: 'Validated' | 'Failed'; reason?: string; code?: UpstreamErrorCode; checkedAt: number }): void;
}

/** Hubs per template, and URLs per resolved target, kept before starting over. */
const MAX_MEMO_ENTRIES = 256;

interface Memo {
  valuesKey: string;
  authorization: string | undefined;
  allowPrivate: boolean;
  target: ResolvedTarget;
  /** The validator's key for this target's validation URL (a digest), once computed. */
  validationKey: string | undefined;
}

export class TargetResolver {
  readonly #o: TargetResolverOptions;
  /** SHA-256 keys of validation URLs, so an unchanged URL is not hashed again per event. */
  readonly #digests = new LRUCache<string, string>({ max: 1000 });
  /** Per template (settings objects are replaced when they change), per hub. */
  readonly #memos = new WeakMap<TargetTemplate, Map<string, Memo>>();

  constructor(o: TargetResolverOptions) {
    this.#o = o;
  }

  /** Resolves references and token, validates the URL; throws HandlerUnavailable saying why not. */
  async resolve(t: TargetTemplate, hub: string): Promise<ResolvedTarget> {
    const fail = (code: UpstreamErrorCode, reason: string): never => {
      this.#o.report(hub, t.index, { status: 'Failed', reason, code, checkedAt: Date.now() });
      throw new HandlerUnavailable(code, reason);
    };
    if (t.error) fail('EventHandlerSettingsInvalid', t.error);
    const values: string[] = [];
    for (const ref of t.keyVaultReferences) {
      try {
        values.push(await this.#o.keyVault.resolve(ref));
      } catch (err) {
        if (err instanceof KeyVaultReferenceError) fail(err.code, `Key Vault reference ${ref.secretUri}: ${err.message}`);
        throw err;
      }
    }
    let authorization: string | undefined;
    if (t.audienceResource !== undefined) {
      try {
        authorization = `Bearer ${await this.#o.tokens.token(this.#o.getManagedIdentity(), t.audienceResource)}`;
      } catch (err) {
        if (err instanceof ManagedIdentityUnavailable) fail(err.code, `managed identity auth: ${err.message}`);
        throw err;
      }
    }
    const allowPrivate = this.#o.allowPrivateTargets();
    const memo = this.#memo(t, hub, values, authorization, allowPrivate, fail);
    const { validator, validationPlaceholders } = this.#o;
    if (validator && validationPlaceholders) {
      const validateUrl = memo.target.url(validationPlaceholders(hub));
      memo.validationKey ??= this.#digest(`${validateUrl.href}\u0000${authorization ? 'mi' : ''}\u0000${allowPrivate}`);
      const state = await validator.check(memo.validationKey, (method, headers) => this.#o.http.call({
        method, url: validateUrl,
        headers: { ...headers, ...(authorization ? { Authorization: authorization } : {}) },
        timeoutMs: this.#o.validationTimeoutMs,
        maxResponseBytes: 64 * 1024, discardBody: true, allowPrivate,
      }));
      if (state.status === 'Failed') fail(state.code ?? 'AbuseProtectionFailed', state.reason ?? 'abuse-protection validation failed');
      this.#o.report(hub, t.index, { status: 'Validated', checkedAt: state.checkedAt ?? Date.now() });
    }
    return memo.target;
  }

  /**
   * The resolved target of a template for a hub, the same object for as long as the Key Vault
   * values, token and target policy are unchanged: its URLs are built once per set of placeholder
   * values, and the validation key once, instead of per event.
   */
  #memo(t: TargetTemplate, hub: string, values: string[], authorization: string | undefined, allowPrivate: boolean, fail: (code: UpstreamErrorCode, reason: string) => never): Memo {
    let perHub = this.#memos.get(t);
    if (!perHub) this.#memos.set(t, (perHub = new Map()));
    const valuesKey = values.join('\u0000');
    const known = perHub.get(hub);
    if (known && known.valuesKey === valuesKey && known.authorization === authorization && known.allowPrivate === allowPrivate) return known;
    // Hub names are the clients' (SignalR templates serve every hub): bounded, then started over.
    if (perHub.size >= MAX_MEMO_ENTRIES) perHub.clear();
    const build = (placeholders: Record<string, string>): URL => {
      let v = 0;
      const text = t.parts.map((p) => (p.kind === 'keyVault' ? values[v++]! : fillPlaceholders(p.text, placeholders))).join('');
      let u: URL;
      try {
        u = new URL(text);
      } catch {
        return fail('EventHandlerUrlInvalid', 'the URL template with its Key Vault references resolved is not an absolute URL');
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') fail('EventHandlerUrlInvalid', 'the URL template with its Key Vault references resolved is not an http(s) URL');
      return u;
    };
    // Event names are the clients' too: the URLs kept are bounded the same way.
    const urls = new Map<string, URL>();
    const url = (placeholders: Record<string, string>): URL => {
      let key = '';
      for (const k in placeholders) key += `${k}\u0000${placeholders[k]}\u0000`;
      let u = urls.get(key);
      if (u === undefined) {
        u = build(placeholders);
        if (urls.size >= MAX_MEMO_ENTRIES) urls.clear();
        urls.set(key, u);
      }
      return u;
    };
    const memo: Memo = { valuesKey, authorization, allowPrivate, target: { url, authorization }, validationKey: undefined };
    perHub.set(hub, memo);
    return memo;
  }

  #digest(text: string): string {
    let d = this.#digests.get(text);
    if (d === undefined) {
      // The validator is keyed by a fixed-size digest of what makes a validation differ.
      d = createHash('sha256').update(text).digest('base64url');
      this.#digests.set(text, d);
    }
    return d;
  }
}

/** `{name}` (any casing) → the URL-encoded value of that placeholder; unknown names stay as written. */
function fillPlaceholders(text: string, placeholders: Record<string, string>): string {
  return text.replace(/\{([A-Za-z]+)\}/g, (m, name: string) => {
    const value = placeholders[name.toLowerCase()];
    return value === undefined ? m : encodeURIComponent(value);
  });
}
