/**
 * SignalR upstream templates (ARM `properties.upstream.templates`): an ordered list, the first
 * template whose hub, category and event patterns all match gets the request, as in Azure. Each
 * template is compiled once (per template object) into the protocol-neutral `TargetTemplate` the
 * shared resolver understands, plus its three matchers.
 */
import { EventHandlerSettingsError } from '../errors.ts';
import { parseTemplateParts } from '../settings.ts';
import type { TargetTemplate } from '../target-resolver.ts';

/** The shape of one template; the config piece's `UpstreamTemplate` is assignable to it. */
export interface SignalRUpstreamTemplate {
  urlTemplate: string;
  hubPattern?: string | undefined;
  eventPattern?: string | undefined;
  categoryPattern?: string | undefined;
  auth?: { type: 'None' } | { type: 'ManagedIdentity'; managedIdentity: { resource: string } } | undefined;
}

export type SignalRCategory = 'connections' | 'messages';

/** `*` (or absent/empty) matches everything; otherwise the set of names of a comma list. */
export type PatternMatcher = 'all' | ReadonlySet<string>;

export interface CompiledTemplate extends TargetTemplate {
  hubs: PatternMatcher;
  categories: PatternMatcher;
  events: PatternMatcher;
}

/**
 * Parses `*`, `name` or `a, b, c`. Hub and category names are compared case-insensitively (Lapis
 * lower-cases hub names, Azure treats both case-insensitively); event names as written, because an
 * event is a hub method target and the emulator compares targets ordinally.
 */
export function parsePattern(pattern: string | undefined, caseInsensitive: boolean): PatternMatcher {
  const names = (pattern ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0 || names.includes('*')) return 'all';
  return new Set(caseInsensitive ? names.map((n) => n.toLowerCase()) : names);
}

function matches(m: PatternMatcher, value: string): boolean {
  return m === 'all' || m.has(value);
}

/** Compiles one template. A template that cannot be parsed still compiles: every use fails saying why. */
export function compileTemplate(t: SignalRUpstreamTemplate, index: number): CompiledTemplate {
  const hubs = parsePattern(t.hubPattern, true);
  const categories = parsePattern(t.categoryPattern, true);
  const events = parsePattern(t.eventPattern, false);
  const audienceResource = t.auth?.type === 'ManagedIdentity' ? t.auth.managedIdentity.resource : undefined;
  try {
    const parts = parseTemplateParts(t.urlTemplate);
    const keyVaultReferences = parts.flatMap((p) => (p.kind === 'keyVault' ? [p.ref] : []));
    return { index, parts, keyVaultReferences, audienceResource, hubs, categories, events };
  } catch (err) {
    if (!(err instanceof EventHandlerSettingsError)) throw err;
    return { index, parts: [], keyVaultReferences: [], audienceResource, hubs, categories, events, error: err.message };
  }
}

/**
 * Compiled templates, cached per template object: the settings are read on every event (so ARM
 * updates apply at once) but a template is parsed only when it is new.
 */
export class TemplateCache {
  #compiled = new WeakMap<SignalRUpstreamTemplate, CompiledTemplate>();

  /** The first template matching (hub, category, event), or undefined when none does. */
  match(templates: readonly SignalRUpstreamTemplate[], hub: string, category: SignalRCategory, event: string): CompiledTemplate | undefined {
    const h = hub.toLowerCase();
    for (const [index, t] of templates.entries()) {
      let c = this.#compiled.get(t);
      if (c === undefined || c.index !== index) {
        c = compileTemplate(t, index);
        this.#compiled.set(t, c);
      }
      if (matches(c.hubs, h) && matches(c.categories, category) && matches(c.events, event)) return c;
    }
    return undefined;
  }
}
