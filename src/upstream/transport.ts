/**
 * Everything a resource's upstream needs besides its protocol, built once per resource: the HTTP
 * client (sockets, queue bound, target policy), managed-identity tokens, Key Vault references,
 * the target resolver (with abuse protection when the protocol has it), delivery with retries,
 * and the bounded queue of fire-and-forget events. Web PubSub's dispatcher composes it with the
 * CloudEvents request shape; a SignalR serverless upstream would compose it with `X-ASRS-*` ones.
 */
import type { Logger } from 'pino';
import type { Directory, ManagedIdentity, TokenIssuer } from '../identity/index.ts';
import { BackgroundQueue, Delivery, type DeliveryObserver } from './delivery.ts';
import { FailureLog } from './failure-log.ts';
import { UpstreamHttpClient } from './http.ts';
import { KeyVaultResolver, VAULT_AUDIENCE } from './keyvault.ts';
import type { UpstreamLimits, UpstreamTiming } from './options.ts';
import { TargetResolver } from './target-resolver.ts';
import type { TargetResolverOptions } from './target-resolver.ts';
import type { ResolveAll } from './targets.ts';
import { ManagedIdentityTokens } from './tokens.ts';
import { WebhookValidator } from './validation.ts';

const MIB = 1024 * 1024;

export interface UpstreamTransportOptions {
  resourceName: string;
  identity: { directory: Directory; issuer: TokenIssuer };
  getManagedIdentity(): ManagedIdentity | undefined;
  vaultOrigins?(): readonly string[];
  allowPrivateTargets?(): boolean;
  ca?: string | undefined;
  log: Logger;
  timing?: UpstreamTiming | undefined;
  limits?: UpstreamLimits | undefined;
  resolve?: ResolveAll | undefined;
  /** Web PubSub's abuse protection: the service's origin and the validation URL's placeholders. */
  abuseProtection?: { origin(): { hostname: string; host: string }; placeholders(hub: string): Record<string, string> } | undefined;
  /** Where handler outcomes (validated / failed with a code) go, for status. */
  report: TargetResolverOptions['report'];
  /** Told how each event delivery ended and how long it took (metrics). */
  observeDelivery?: DeliveryObserver | undefined;
}

export class UpstreamTransport {
  readonly http: UpstreamHttpClient;
  readonly tokens: ManagedIdentityTokens;
  readonly keyVault: KeyVaultResolver;
  readonly targets: TargetResolver;
  readonly delivery: Delivery;
  readonly background: BackgroundQueue;
  readonly failures: FailureLog;
  #closed = false;

  constructor(o: UpstreamTransportOptions) {
    const t = o.timing;
    this.http = new UpstreamHttpClient({
      ca: o.ca, maxSocketsPerOrigin: o.limits?.maxSocketsPerOrigin, maxQueuedPerOrigin: o.limits?.maxQueuedPerOrigin, resolve: o.resolve,
      onSocketError: (err) => o.log.debug({ err: { message: err.message, code: (err as NodeJS.ErrnoException).code } }, 'upstream socket error'),
    });
    this.tokens = new ManagedIdentityTokens(o.identity);
    this.keyVault = new KeyVaultResolver({
      http: this.http,
      getToken: () => this.tokens.token(o.getManagedIdentity(), VAULT_AUDIENCE),
      vaultOrigins: () => o.vaultOrigins?.() ?? [],
      refreshAfterMs: t?.keyVaultRefreshMs,
      retryFailedAfterMs: t?.keyVaultRetryFailedMs,
    });
    const allowPrivateTargets = () => o.allowPrivateTargets?.() ?? false;
    const ap = o.abuseProtection;
    this.targets = new TargetResolver({
      http: this.http, keyVault: this.keyVault, tokens: this.tokens,
      getManagedIdentity: () => o.getManagedIdentity(), allowPrivateTargets,
      validator: ap && new WebhookValidator({
        http: this.http, origin: () => ap.origin(),
        timeoutMs: t?.validationTimeoutMs, revalidateAfterMs: t?.revalidateAfterMs,
        retryMinMs: t?.validationRetryMinMs, retryMaxMs: t?.validationRetryMaxMs,
      }),
      validationPlaceholders: ap && ((hub) => ap.placeholders(hub)),
      validationTimeoutMs: t?.validationTimeoutMs ?? 10_000,
      report: o.report,
    });
    this.delivery = new Delivery({
      http: this.http,
      requestTimeoutMs: t?.requestTimeoutMs ?? 100_000,
      retryDelaysMs: t?.retryDelaysMs ?? [1000, 3000, 5000],
      maxResponseBytes: o.limits?.maxResponseBytes ?? MIB,
      allowPrivateTargets,
      isClosed: () => this.#closed,
      observe: o.observeDelivery,
    });
    this.background = new BackgroundQueue(o.limits?.maxPendingNonBlocking ?? 10_000, o.log.child({ resource: o.resourceName }));
    this.failures = new FailureLog(o.log, o.resourceName);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Stops new deliveries, gives pending fire-and-forget ones a moment, closes the sockets. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.background.drain(2000);
    this.http.close();
  }
}
