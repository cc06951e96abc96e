/**
 * Admission of client upgrades while they wait for the blocking `connect` event handler. Without
 * it, capacity was only checked after the handler answered, so a slow handler let waiting
 * upgrades (each a socket, a parsed request and an upstream call) grow without bound.
 *
 * A waiting upgrade holds a slot: open connections + waiting upgrades never exceed
 * `maxConnections`, and waiting upgrades alone never exceed `maxPending`. A refused upgrade gets
 * the same 429 as a full resource, before the handler is called.
 */
import { dataPlaneErrors } from './errors.ts';
import type { DataPlaneError } from './errors.ts';

/** Default bound on upgrades waiting for handshake work (connect handler) per resource. */
export const DEFAULT_MAX_PENDING_UPGRADES = 1000;

export interface AdmissionOptions {
  resourceName: string;
  maxConnections: number | undefined;
  maxPending: number;
  openConnections(): number;
}

export class UpgradeAdmission {
  readonly #o: AdmissionOptions;
  #pending = 0;

  constructor(o: AdmissionOptions) {
    this.#o = o;
  }

  get pending(): number {
    return this.#pending;
  }

  /** Takes a slot, or returns the refusal. The slot must be given back with `release` exactly once. */
  reserve(): DataPlaneError | undefined {
    const o = this.#o;
    if (o.maxConnections !== undefined && o.openConnections() + this.#pending >= o.maxConnections) {
      return dataPlaneErrors.connectionLimit(o.maxConnections, o.resourceName);
    }
    if (this.#pending >= o.maxPending) return dataPlaneErrors.tooManyPendingUpgrades(o.maxPending, o.resourceName);
    this.#pending++;
    return undefined;
  }

  release(): void {
    if (this.#pending > 0) this.#pending--;
  }
}
