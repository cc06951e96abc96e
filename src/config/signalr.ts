import { z } from 'zod';
import { EventHandlerSettingsError, parseTemplateParts } from '../upstream/index.ts';

/**
 * The settings of an Azure SignalR resource (`Microsoft.SignalRService/signalR`) that the config
 * file and the management API share: `properties.features` and `properties.upstream.templates`,
 * checked as Azure checks them. The config schema (schema.ts) and the ARM handler
 * (control/arm/signalr.ts) both use these checks, so a value is accepted or refused the same way
 * in both places.
 */

export const SERVICE_MODES = ['Default', 'Serverless'] as const;
export type ServiceMode = typeof SERVICE_MODES[number];
/** Azure's FeatureFlags. ServiceMode takes a mode; the others take True or False. */
export const FEATURE_FLAGS = ['ServiceMode', 'EnableConnectivityLogs', 'EnableMessagingLogs', 'EnableLiveTrace'] as const;
export type FeatureFlag = typeof FEATURE_FLAGS[number];

export interface SignalRFeature { flag: FeatureFlag; value: string; properties: Record<string, string> }

export interface UpstreamTemplate {
  urlTemplate: string;
  hubPattern?: string | undefined;
  eventPattern?: string | undefined;
  categoryPattern?: string | undefined;
  auth?: { type: 'None' } | { type: 'ManagedIdentity'; managedIdentity: { resource: string } } | undefined;
}

/** A feature's canonical spelling (flag and ServiceMode value), or the reason it is refused; matched case-insensitively. */
export function normaliseFeature(flag: string, value: string): { flag: FeatureFlag; value: string } | { error: string; field: 'flag' | 'value' } {
  const f = FEATURE_FLAGS.find((x) => x.toLowerCase() === flag.toLowerCase());
  if (!f) return { field: 'flag', error: `unknown feature flag '${flag.slice(0, 60)}': expected one of ${FEATURE_FLAGS.join(', ')}` };
  if (f === 'ServiceMode') {
    if (/^classic$/i.test(value)) return { field: 'value', error: "service mode 'Classic' is not supported by this version of Lapis: use 'Default' or 'Serverless'" };
    const mode = SERVICE_MODES.find((m) => m.toLowerCase() === value.toLowerCase());
    if (!mode) return { field: 'value', error: `'${value.slice(0, 60)}' is not a service mode: expected Default or Serverless` };
    return { flag: f, value: mode };
  }
  if (!/^(true|false)$/i.test(value)) return { field: 'value', error: `feature ${f} takes True or False (got '${value.slice(0, 60)}')` };
  // Kept as sent: Azure documents "true"/"false", az sends Python's "True"/"False".
  return { flag: f, value };
}

/** The service mode a feature list sets: Default when absent, as in Azure. */
export function serviceModeOf(features: readonly { flag: string; value: string }[]): ServiceMode {
  const f = features.find((x) => x.flag.toLowerCase() === 'servicemode');
  return f && /^serverless$/i.test(f.value) ? 'Serverless' : 'Default';
}

const CATEGORIES = ['connections', 'messages'];

/** `*`, a name, or `a,b,c`; for categories only connections and messages. Returns the reason or undefined. */
export function checkPattern(pattern: string, what: 'hubPattern' | 'eventPattern' | 'categoryPattern'): string | undefined {
  const t = pattern.trim();
  if (t === '' || t === '*') return undefined;
  for (const raw of t.split(',')) {
    const n = raw.trim();
    if (n === '') return `${what}: empty name in the comma-separated list`;
    if (n.includes('*')) return `${what}: '*' is only allowed alone (matching everything)`;
    if (n.length > 128 || /\s/.test(n)) return `${what}: '${n.slice(0, 64)}' is not a name`;
    if (what === 'categoryPattern' && !CATEGORIES.includes(n.toLowerCase())) return `categoryPattern: '${n.slice(0, 64)}' is not a category (connections or messages)`;
  }
  return undefined;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** An upstream URL template: absolute http(s) URL; placeholders {hub}, {category}, {event} and Key Vault references. */
export function checkUpstreamUrlTemplate(template: string): string | undefined {
  let parts;
  try {
    parts = parseTemplateParts(template);
  } catch (err) {
    if (err instanceof EventHandlerSettingsError) return err.message;
    throw err;
  }
  let sample = '';
  for (const p of parts) {
    if (p.kind === 'keyVault') {
      sample += 'lapissecret';
      continue;
    }
    for (const m of p.text.matchAll(PLACEHOLDER)) {
      if (!/^(hub|category|event)$/i.test(m[1]!)) return `unknown placeholder '{${m[1]!.slice(0, 64)}}': only {hub}, {category}, {event} and {@Microsoft.KeyVault(SecretUri=…)} are supported`;
    }
    if (/[{}]/.test(p.text.replace(PLACEHOLDER, ''))) return 'unbalanced { or } in the URL template';
    sample += p.text.replace(PLACEHOLDER, 'lapissample');
  }
  if (parts.some((p) => p.kind === 'keyVault')) return undefined;  // the resolved URL is checked when it is used
  let url: URL;
  try {
    url = new URL(sample);
  } catch {
    return 'the URL template is not an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'the URL template must start with http:// or https://';
  if (url.hostname.includes('lapissample')) return 'placeholders are not allowed in the host part of the URL template';
  if (url.hash) return 'the URL template must not have a fragment (#…)';
  return undefined;
}

const refine = (check: (s: string) => string | undefined) => (s: string, ctx: z.RefinementCtx) => {
  const problem = check(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};

const EMPTY_RESOURCE = 'the managed identity resource must be the Application ID or Application ID URI of an application registered in the tenant';

/** One `properties.upstream.templates[]` entry (ARM `UpstreamTemplate`). */
export const upstreamTemplateSchema = z.strictObject({
  urlTemplate: z.string().min(1).max(2048).superRefine(refine(checkUpstreamUrlTemplate)),
  hubPattern: z.string().max(1024).superRefine(refine((s) => checkPattern(s, 'hubPattern'))).optional(),
  eventPattern: z.string().max(4096).superRefine(refine((s) => checkPattern(s, 'eventPattern'))).optional(),
  categoryPattern: z.string().max(256).superRefine(refine((s) => checkPattern(s, 'categoryPattern'))).optional(),
  auth: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('None') }),
    z.strictObject({
      type: z.literal('ManagedIdentity'),
      managedIdentity: z.strictObject({ resource: z.string().max(512).refine((s) => s.trim() !== '', EMPTY_RESOURCE) }),
    }),
  ]).optional(),
});

export const upstreamTemplatesSchema = z.array(upstreamTemplateSchema).max(64);

/** `properties.features[]`: flag and value as Azure names them, each flag at most once. */
export const featuresSchema = z.array(z.strictObject({
  flag: z.string().min(1).max(64),
  value: z.string().min(1).max(128),
  properties: z.record(z.string().max(128), z.string().max(1024)).optional(),
})).max(16).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((f, i) => {
    const n = normaliseFeature(f.flag, f.value);
    if ('error' in n) ctx.addIssue({ code: 'custom', message: n.error, path: [i, n.field] });
    else if (seen.has(n.flag)) ctx.addIssue({ code: 'custom', message: `feature ${n.flag} is listed twice`, path: [i, 'flag'] });
    else seen.add(n.flag);
  });
}).transform((list) => list.map((f): SignalRFeature => {
  const n = normaliseFeature(f.flag, f.value) as { flag: FeatureFlag; value: string };
  return { flag: n.flag, value: n.value, properties: f.properties ?? {} };
}));

/** An allowed CORS origin: `*` or `scheme://host[:port]`. */
export const corsOriginSchema = z.string().min(1).max(512).refine((s) => s === '*' || /^https?:\/\/[^\s/?#]+$/i.test(s), "expected '*' or an origin such as https://example.com");
