/**
 * Event handler settings of a hub (reference §5.1), as Azure's ARM/Bicep `eventHandlers` spell them:
 * an ordered list, first match wins. Everything that can be checked without the directory is
 * checked here, at configuration time, so a bad template never reaches delivery.
 */
import { z } from 'zod';
import { EventHandlerSettingsError } from './errors.ts';

export { EventHandlerSettingsError } from './errors.ts';

export const SYSTEM_EVENTS = ['connect', 'connected', 'disconnected'] as const;
export type SystemEvent = (typeof SYSTEM_EVENTS)[number];

export type EventHandlerAuth =
  | { type: 'None' }
  | { type: 'ManagedIdentity'; managedIdentity: { resource: string } };

/** One event handler, as declared (ARM `EventHandler`). */
export interface EventHandlerSettings {
  urlTemplate: string;
  /** `*`, an event name, or a comma-separated list of names; absent = no user events. */
  userEventPattern?: string | undefined;
  systemEvents?: SystemEvent[] | undefined;
  auth?: EventHandlerAuth | undefined;
}

/** `{@Microsoft.KeyVault(SecretUri=https://{vault}/secrets/{name}[/{version}])}` */
export interface KeyVaultReference {
  /** The SecretUri as written (no trailing slash). */
  secretUri: string;
  /** `https://host[:port]`: the vault the reference points at. */
  vaultOrigin: string;
  name: string;
  version: string | undefined;
}

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'keyVault'; ref: KeyVaultReference };

/** A handler ready for matching and expansion. */
export interface CompiledHandler {
  index: number;
  settings: EventHandlerSettings;
  parts: TemplatePart[];
  keyVaultReferences: KeyVaultReference[];
  /** undefined: no user events; 'all': `*`; else lower-cased names. */
  userEvents: 'all' | Set<string> | undefined;
  systemEvents: Set<SystemEvent>;
  /** The Entra resource (audience) to get tokens for, when auth is ManagedIdentity. */
  audienceResource: string | undefined;
}

/** Key Vault secret names: 1–127 letters, digits and dashes; versions: 32 hex digits. */
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const SECRET_VERSION = /^[0-9a-fA-F]{32}$/;
const KV_REFERENCE = /\{@Microsoft\.KeyVault\(([^)]*)\)\}/gi;
const PLACEHOLDER = /\{([^{}]*)\}/g;
const MAX_TEMPLATE = 2048;


/** Parses a `SecretUri=…` reference body; throws EventHandlerSettingsError with a reason. */
export function parseKeyVaultReference(body: string): KeyVaultReference {
  const m = /^\s*SecretUri\s*=\s*(\S+?)\s*$/i.exec(body);
  if (!m) throw new EventHandlerSettingsError('urlTemplate', 'a Key Vault reference must have the form {@Microsoft.KeyVault(SecretUri=https://<vault>/secrets/<name>[/<version>])}');
  const raw = m[1]!.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EventHandlerSettingsError('urlTemplate', `the Key Vault reference's SecretUri '${raw.slice(0, 200)}' is not an absolute URL`);
  }
  if (url.protocol !== 'https:') throw new EventHandlerSettingsError('urlTemplate', 'the Key Vault reference\'s SecretUri must be an https:// URL');
  if (url.search || url.hash || url.username || url.password) {
    throw new EventHandlerSettingsError('urlTemplate', 'the Key Vault reference\'s SecretUri must not have a query, fragment or user info');
  }
  const segments = url.pathname.split('/').slice(1);
  if (segments.length < 2 || segments.length > 3 || segments[0]!.toLowerCase() !== 'secrets') {
    throw new EventHandlerSettingsError('urlTemplate', 'the Key Vault reference\'s SecretUri must look like https://<vault>/secrets/<name> or https://<vault>/secrets/<name>/<version>');
  }
  const name = segments[1]!;
  const version = segments[2];
  if (!SECRET_NAME.test(name)) throw new EventHandlerSettingsError('urlTemplate', `'${name.slice(0, 130)}' is not a Key Vault secret name (1–127 letters, digits and dashes)`);
  if (version !== undefined && !SECRET_VERSION.test(version)) {
    throw new EventHandlerSettingsError('urlTemplate', `'${version.slice(0, 64)}' is not a Key Vault secret version (32 hexadecimal digits)`);
  }
  return { secretUri: raw, vaultOrigin: url.origin, name, version };
}

/** Splits a URL template into literal text and Key Vault references. */
export function parseTemplateParts(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of template.matchAll(KV_REFERENCE)) {
    if (m.index > last) parts.push({ kind: 'text', text: template.slice(last, m.index) });
    parts.push({ kind: 'keyVault', ref: parseKeyVaultReference(m[1]!) });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ kind: 'text', text: template.slice(last) });
  return parts;
}

const SAMPLE_HUB = 'lapishubsample';
const SAMPLE_EVENT = 'lapiseventsample';
const SAMPLE_SECRET = 'lapissecretsample';

/**
 * Checks a URL template: absolute http(s) URL, only `{hub}` / `{event}` placeholders (any casing),
 * none of them in the scheme, user info or host. Key Vault references may stand anywhere; the URL
 * they produce is checked again when they are resolved.
 */
export function validateUrlTemplate(template: string): TemplatePart[] {
  if (template.length > MAX_TEMPLATE) throw new EventHandlerSettingsError('urlTemplate', `a URL template is at most ${MAX_TEMPLATE} characters`);
  const parts = parseTemplateParts(template);
  for (const p of parts) {
    if (p.kind !== 'text') continue;
    for (const m of p.text.matchAll(PLACEHOLDER)) {
      const name = m[1]!.toLowerCase();
      if (name !== 'hub' && name !== 'event') {
        throw new EventHandlerSettingsError('urlTemplate', `unknown placeholder '{${m[1]!.slice(0, 64)}}': only {hub}, {event} and {@Microsoft.KeyVault(SecretUri=…)} are supported`);
      }
    }
    if (/[{}]/.test(p.text.replace(PLACEHOLDER, ''))) throw new EventHandlerSettingsError('urlTemplate', 'unbalanced { or } in the URL template');
  }
  const hasReference = parts.some((p) => p.kind === 'keyVault');
  // With placeholders replaced by markers, the URL must parse and keep the markers out of the host.
  const sample = parts.map((p) => (p.kind === 'keyVault' ? SAMPLE_SECRET : p.text.replace(/\{hub\}/gi, SAMPLE_HUB).replace(/\{event\}/gi, SAMPLE_EVENT))).join('');
  let url: URL;
  try {
    url = new URL(sample);
  } catch {
    if (hasReference) return parts; // the reference may be the whole URL: checked once resolved
    throw new EventHandlerSettingsError('urlTemplate', 'the URL template is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    if (hasReference && sample.startsWith(SAMPLE_SECRET)) return parts;
    throw new EventHandlerSettingsError('urlTemplate', 'the URL template must start with http:// or https://');
  }
  const authority = `${url.username}${url.password}${url.hostname}`.toLowerCase();
  if (authority.includes(SAMPLE_HUB) || authority.includes(SAMPLE_EVENT)) {
    throw new EventHandlerSettingsError('urlTemplate', '{hub} and {event} are not allowed in the host part of the URL template');
  }
  if (url.hash) throw new EventHandlerSettingsError('urlTemplate', 'the URL template must not have a fragment (#…)');
  return parts;
}

/** Parses `userEventPattern`: `*`, a name, or `a,b,c` (case-insensitive). */
export function parseUserEventPattern(pattern: string | undefined): 'all' | Set<string> | undefined {
  if (pattern === undefined) return undefined;
  const trimmed = pattern.trim();
  if (trimmed === '') return undefined;
  if (trimmed === '*') return 'all';
  const names = trimmed.split(',').map((s) => s.trim());
  for (const n of names) {
    if (n === '') throw new EventHandlerSettingsError('userEventPattern', 'empty event name in the comma-separated list');
    if (n.includes('*')) throw new EventHandlerSettingsError('userEventPattern', `'${n.slice(0, 64)}': '*' is only allowed alone (matching every event)`);
    if (n.length > 128 || /\s/.test(n)) throw new EventHandlerSettingsError('userEventPattern', `'${n.slice(0, 64)}' is not an event name`);
  }
  return new Set(names.map((n) => n.toLowerCase()));
}

export function compileHandler(settings: EventHandlerSettings, index: number): CompiledHandler {
  const parts = validateUrlTemplate(settings.urlTemplate);
  const auth = settings.auth ?? { type: 'None' as const };
  let audienceResource: string | undefined;
  if (auth.type === 'ManagedIdentity') {
    audienceResource = auth.managedIdentity.resource.trim();
    if (!audienceResource) throw new EventHandlerSettingsError('auth.managedIdentity.resource', EMPTY_RESOURCE);
  }
  return {
    index,
    settings,
    parts,
    keyVaultReferences: parts.flatMap((p) => (p.kind === 'keyVault' ? [p.ref] : [])),
    userEvents: parseUserEventPattern(settings.userEventPattern),
    systemEvents: new Set(settings.systemEvents ?? []),
    audienceResource,
  };
}

const EMPTY_RESOURCE = 'the managed identity resource must be the Application ID or Application ID URI of an application registered in the tenant (in Azure an empty resource means a Microsoft Graph token, which an event handler cannot validate)';

// ---- zod schemas for the config file -------------------------------------------------------

/** `auth` as ARM spells it. */
const authSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('None') }),
  z.strictObject({
    type: z.literal('ManagedIdentity'),
    managedIdentity: z.strictObject({
      resource: z.string().max(512).refine((s) => s.trim() !== '', EMPTY_RESOURCE),
    }),
  }),
]);

function refineWith<T>(check: (value: T) => void) {
  return (value: T, ctx: z.RefinementCtx) => {
    try {
      check(value);
    } catch (err) {
      if (!(err instanceof EventHandlerSettingsError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message });
    }
  };
}

/** One event handler (ARM `EventHandler`). Paths in errors name the offending property. */
export const eventHandlerSchema = z.strictObject({
  urlTemplate: z.string().min(1).max(MAX_TEMPLATE).superRefine(refineWith((s: string) => { validateUrlTemplate(s); })),
  userEventPattern: z.string().max(4096).superRefine(refineWith((s: string) => { parseUserEventPattern(s); })).optional(),
  systemEvents: z.array(z.enum(SYSTEM_EVENTS, { message: 'expected one of connect, connected, disconnected' })).max(3)
    .refine((a) => new Set(a).size === a.length, 'a system event is listed twice').optional(),
  auth: authSchema.optional(),
});

/** A hub's `properties.eventHandlers`: ordered, first match wins. */
export const eventHandlerSettingsSchema = z.array(eventHandlerSchema).max(64);

export type EventHandlerConfig = z.infer<typeof eventHandlerSchema>;
