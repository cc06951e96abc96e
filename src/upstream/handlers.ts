/**
 * A resource's hubs' event handlers as the dispatcher uses them: compiled once per settings list
 * (settings are re-read on every event, so an update applies at once), matched first-wins, and
 * the last outcome of each (validated, failed and why) for the status the control plane shows.
 */
import { redactUrl } from '../log/index.ts';
import { EventHandlerSettingsError } from './errors.ts';
import type { UpstreamErrorCode } from './errors.ts';
import type { HandlerStatus } from './options.ts';
import type { PreflightOutcome } from '../trace/index.ts';
import { compileHandler, parseUserEventPattern } from './settings.ts';
import type { CompiledHandler, EventHandlerSettings, SystemEvent } from './settings.ts';

/** A handler whose settings could not be compiled keeps matching (so its events fail visibly). */
export type Compiled = (CompiledHandler & { error?: undefined })
  | {
    index: number; settings: EventHandlerSettings; error: string; userEvents: 'all' | Set<string> | undefined; systemEvents: Set<SystemEvent>;
    parts: []; keyVaultReferences: []; audienceResource: undefined;
  };

export interface HandlerOutcome {
  status: HandlerStatus['status'];
  reason?: string | undefined;
  code?: UpstreamErrorCode | undefined;
  checkedAt?: number | undefined;
}

export class HandlerRegistry {
  readonly #settingsOf: (hub: string) => readonly EventHandlerSettings[] | undefined;
  readonly #compiled = new WeakMap<readonly EventHandlerSettings[], Compiled[]>();
  /** One entry per (hub, handler index) that was ever used: bounded by the configuration. */
  readonly #outcomes = new Map<string, HandlerOutcome>();
  /** Outcomes are replaced, never changed: each one's preflight view is built once. */
  readonly #preflights = new WeakMap<HandlerOutcome, PreflightOutcome>();
  readonly #templates = new WeakMap<Compiled, string>();

  constructor(settingsOf: (hub: string) => readonly EventHandlerSettings[] | undefined) {
    this.#settingsOf = settingsOf;
  }

  handlers(hub: string): Compiled[] {
    const settings = this.#settingsOf(hub);
    if (!settings || settings.length === 0) return [];
    let compiled = this.#compiled.get(settings);
    if (!compiled) {
      compiled = settings.map((s, i) => safeCompile(s, i));
      this.#compiled.set(settings, compiled);
    }
    return compiled;
  }

  /** The first handler that takes this system event or user event (reference §5.1). */
  match(hub: string, what: { system: SystemEvent } | { user: string }): Compiled | undefined {
    for (const c of this.handlers(hub)) {
      if ('system' in what) {
        if (c.systemEvents.has(what.system)) return c;
      } else if (c.userEvents === 'all' || c.userEvents?.has(what.user.toLowerCase())) {
        return c;
      }
    }
    return undefined;
  }

  report(hub: string, index: number, outcome: HandlerOutcome): void {
    const key = outcomeKey(hub, index);
    const last = this.#outcomes.get(key);
    // Every event reports its handler validated: an unchanged outcome keeps its object (and the
    // preflight built from it, below).
    if (last && last.status === outcome.status && last.reason === outcome.reason && last.code === outcome.code && last.checkedAt === outcome.checkedAt) return;
    this.#outcomes.set(key, outcome);
  }

  /** The handler's status at the time of a call, as the upstream inspector keeps it (status() without the settings). */
  preflight(hub: string, c: Compiled): PreflightOutcome {
    if (c.error) return { status: 'Failed', reason: c.error, code: 'EventHandlerSettingsInvalid', checkedAt: undefined };
    const s = this.#outcomes.get(outcomeKey(hub, c.index));
    if (!s) return NOT_VALIDATED;
    let p = this.#preflights.get(s);
    if (!p) {
      p = { status: s.status, reason: s.reason, code: s.status === 'Failed' ? s.code : undefined, checkedAt: s.checkedAt ? new Date(s.checkedAt).toISOString() : undefined };
      this.#preflights.set(s, p);
    }
    return p;
  }

  /** The URL template as status shows it (literal secret query values hidden), once per compiled handler. */
  displayTemplate(c: Compiled): string {
    let t = this.#templates.get(c);
    if (t === undefined) {
      t = redactTemplate(c.settings.urlTemplate);
      this.#templates.set(c, t);
    }
    return t;
  }

  status(hub: string): HandlerStatus[] {
    return this.handlers(hub).map((c) => {
      const s: HandlerOutcome | undefined = c.error
        ? { status: 'Failed', reason: c.error, code: 'EventHandlerSettingsInvalid' }
        : this.#outcomes.get(outcomeKey(hub, c.index));
      return {
        hub,
        index: c.index,
        urlTemplate: this.displayTemplate(c),
        userEventPattern: c.settings.userEventPattern,
        systemEvents: [...(c.settings.systemEvents ?? [])],
        auth: c.settings.auth?.type ?? 'None',
        status: s?.status ?? 'NotValidated',
        reason: s?.reason,
        code: s?.status === 'Failed' ? s.code : undefined,
        checkedAt: s?.checkedAt ? new Date(s.checkedAt).toISOString() : undefined,
      };
    });
  }
}

const NOT_VALIDATED: PreflightOutcome = { status: 'NotValidated', reason: undefined, code: undefined, checkedAt: undefined };

function outcomeKey(hub: string, index: number): string {
  return `${hub}\u0000${index}`;
}

function safeCompile(s: EventHandlerSettings, index: number): Compiled {
  try {
    return compileHandler(s, index);
  } catch (err) {
    if (!(err instanceof EventHandlerSettingsError)) throw err;
    let userEvents: 'all' | Set<string> | undefined;
    try { userEvents = parseUserEventPattern(s.userEventPattern); } catch { userEvents = undefined; }
    return {
      index, settings: s, error: `invalid settings (${err.path}): ${err.message}`, userEvents, systemEvents: new Set(s.systemEvents ?? []),
      parts: [], keyVaultReferences: [], audienceResource: undefined,
    };
  }
}

/** The template with literal secret query values (e.g. `code=…`) hidden; Key Vault references stay visible. */
export function redactTemplate(template: string): string {
  const refs: string[] = [];
  const masked = template.replace(/\{@Microsoft\.KeyVault\([^)]*\)\}/gi, (m) => `KVREF${refs.push(m) - 1}KVREF`);
  const redacted = redactUrl(masked);
  // A parameter whose whole value was a reference is shown with the reference, not masked.
  const restoredParams = masked.split(/[?&]/).slice(1).filter((p) => /^[^=]*=KVREF\d+KVREF$/.test(p));
  let out = redacted;
  for (const p of restoredParams) out = out.replace(`${p.slice(0, p.indexOf('='))}=***`, p);
  return out.replace(/KVREF(\d+)KVREF/g, (_m, i: string) => refs[Number(i)]!);
}
