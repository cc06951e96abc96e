import { readFileSync, statSync } from 'node:fs';
import type { z } from 'zod';
import { configSchema, isKeyVault, isSignalR, type LapisConfig } from './schema.ts';

/** A config file larger than this is refused before it is parsed. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export class ConfigError extends Error {
  readonly code = 'LAPIS_CONFIG_INVALID';
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(`invalid config ${file}:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Renders a zod issue path as a JSON path: `$.resources[0].hubs[1].name`. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, seg) => typeof seg === 'number' ? `${acc}[${seg}]`
    : /^[A-Za-z_$][\w$]*$/.test(String(seg)) ? `${acc}.${String(seg)}` : `${acc}[${JSON.stringify(String(seg))}]`, '$');
}

export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${jsonPath(i.path)}: ${i.message}`);
}

/** Validates a parsed config object in full; throws ConfigError listing every problem. */
export function validateConfig(value: unknown, source = '<config>'): LapisConfig {
  const result = configSchema.safeParse(value);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error));
  const problems = crossChecks(result.data);
  if (problems.length) throw new ConfigError(source, problems);
  return result.data;
}

/** Reads and validates a JSON config file. */
export function loadConfigFile(file: string): LapisConfig {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new ConfigError(file, [`$: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  if (size > MAX_CONFIG_BYTES) throw new ConfigError(file, [`$: the file is ${size} bytes; the limit is ${MAX_CONFIG_BYTES}`]);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, [`$: not valid JSON (${(err as Error).message})`]);
  }
  return validateConfig(value, file);
}

/** Rules that span several objects: unique names and ids, references that must resolve. */
function crossChecks(cfg: LapisConfig): string[] {
  const problems: string[] = [];
  const tenantIds = new Set([cfg.tenantId, ...(cfg.tenants ?? []).map((t) => t.tenantId)].filter(Boolean).map((t) => t!.toLowerCase()));
  const unique = (items: { key: string; path: string }[], what: string) => {
    const seen = new Map<string, string>();
    for (const { key, path } of items) {
      const prior = seen.get(key);
      if (prior) problems.push(`${path}: duplicate ${what} (also at ${prior})`);
      else seen.set(key, path);
    }
  };
  const apps = cfg.applications ?? [];
  unique(apps.map((a, i) => ({ key: a.displayName.toLowerCase(), path: `$.applications[${i}].displayName` })), 'application displayName');
  unique(apps.filter((a) => a.appId).map((a, i) => ({ key: a.appId!.toLowerCase(), path: `$.applications[${i}].appId` })), 'appId');
  unique(apps.flatMap((a, i) => (a.identifierUris ?? []).map((u, j) => ({ key: u.toLowerCase(), path: `$.applications[${i}].identifierUris[${j}]` }))), 'identifier URI');
  unique((cfg.users ?? []).map((u, i) => ({ key: u.userPrincipalName.toLowerCase(), path: `$.users[${i}].userPrincipalName` })), 'userPrincipalName');
  unique((cfg.userAssignedIdentities ?? []).map((m, i) => ({ key: `${m.resourceGroup}/${m.name}`.toLowerCase(), path: `$.userAssignedIdentities[${i}].name` })), 'identity name');
  unique((cfg.resources ?? []).map((r, i) => ({ key: r.name.toLowerCase(), path: `$.resources[${i}].name` })), 'resource name');
  (cfg.resources ?? []).forEach((r, i) => {
    if (isKeyVault(r)) return;
    if (!isSignalR(r)) unique((r.hubs ?? []).map((h, j) => ({ key: h.name.toLowerCase(), path: `$.resources[${i}].hubs[${j}].name` })), 'hub name (hub names are case-insensitive)');
    const id = r.identity;
    if (id?.type === 'UserAssigned' && Object.keys(id.userAssignedIdentities ?? {}).length !== 1) {
      problems.push(`$.resources[${i}].identity.userAssignedIdentities: a UserAssigned identity needs exactly one identity`);
    }
    if (id && id.type !== 'UserAssigned' && id.userAssignedIdentities && Object.keys(id.userAssignedIdentities).length) {
      problems.push(`$.resources[${i}].identity: a resource has one managed identity: userAssignedIdentities needs type UserAssigned`);
    }
  });
  for (const [list, path] of [[apps, 'applications'], [cfg.users ?? [], 'users']] as const) {
    list.forEach((o, i) => {
      if (o.tenantId && !tenantIds.has(o.tenantId.toLowerCase())) problems.push(`$.${path}[${i}].tenantId: no tenant ${o.tenantId} is declared`);
    });
  }
  return problems;
}
