import { Command } from 'commander';
import { CliError, LapisClient, dataDirOption, printJson as print } from './client.ts';

/**
 * What `lapis webpubsub` and `lapis signalr` share, as `az webpubsub` and `az signalr` do: the
 * ARM path of a Microsoft.SignalRService kind, az's flattened output, the -n/-g options and the
 * `identity assign|remove|show` group.
 */

const API_VERSION = '2024-03-01';
/** What `az … identity assign --identity` takes for the system-assigned identity. */
const SYSTEM_ALIASES = ['[system]', 'system'];
export type Json = Record<string, any>;

export interface Target { name: string; resourceGroup: string; dataDir: string }

/** A CLI call's connection to the running node, for one resource kind (`webPubSub`, `signalR`). */
export class ServiceSession extends LapisClient {
  readonly #type: string;

  constructor(dataDir: string, type: string) {
    super(dataDir);
    this.#type = type;
  }

  /** `/subscriptions/{sub}[/resourceGroups/{rg}]/providers/Microsoft.SignalRService/{type}[/{name}[/{rest}]]?api-version=…` */
  path(resourceGroup: string | undefined, name?: string, rest?: string): string {
    const sub = `/subscriptions/${this.ready.subscriptionId}`;
    const rg = resourceGroup ? `/resourceGroups/${encodeURIComponent(resourceGroup)}` : '';
    const n = name ? `/${encodeURIComponent(name)}` : '';
    return `${sub}${rg}/providers/Microsoft.SignalRService/${this.#type}${n}${rest ? `/${rest}` : ''}?api-version=${API_VERSION}`;
  }
}

/** az prints a resource with `properties` flattened (the SDK model flattens them). */
export function flatten(r: Json): Json {
  const { properties, ...rest } = r;
  return { ...rest, ...properties };
}

export const namedFor = (label: string) => (cmd: Command): Command => cmd
  .requiredOption('-n, --name <name>', `name of the ${label} resource`)
  .requiredOption('-g, --resource-group <name>', 'resource group of the resource')
  .addOption(dataDirOption());

export function parseBool(flag: string, v: string | boolean | undefined): boolean | undefined {
  if (v === undefined || typeof v === 'boolean') return v;
  if (/^(true|yes|1)$/i.test(v)) return true;
  if (/^(false|no|0)$/i.test(v)) return false;
  throw new CliError(`${flag} takes true or false (got '${v}')`);
}

export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `key=value` tokens into an object (az's `--tags a=b c=d`); keys are checked against `known` when given. */
export function parsePairs(flag: string, tokens: string[], known?: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tokens) {
    const eq = t.indexOf('=');
    const key = eq > 0 ? t.slice(0, eq) : '';
    if (!key || (known && !known.includes(key.toLowerCase()))) {
      throw new CliError(`${flag}: '${t}' is not key=value${known ? ` (keys: ${known.join(', ')})` : ''}`);
    }
    out[known ? key.toLowerCase() : key] = t.slice(eq + 1);
  }
  return out;
}

/** `identity assign|remove|show`, named after az's, on `group`. */
export function addIdentityCommands(group: Command, label: string, type: string): void {
  const named = namedFor(label);
  const identity = group.command('identity').description('The resource\'s managed identity: system-assigned, or one user-assigned');
  named(identity.command('assign').description('Assign the system-assigned identity ([system]) or one user-assigned identity (its resource id); replaces the current one'))
    .requiredOption('--identity <identity>', '[system] for the system-assigned identity, or a user-assigned identity\'s resource id')
    .action(async (o: Target & { identity: string }) => {
      const s = new ServiceSession(o.dataDir, type);
      const body = SYSTEM_ALIASES.includes(o.identity.toLowerCase())
        ? { identity: { type: 'SystemAssigned' } }
        : { identity: { type: 'UserAssigned', userAssignedIdentities: { [o.identity]: {} } } };
      print(flatten(await s.arm('PATCH', s.path(o.resourceGroup, o.name), body)));
    });
  named(identity.command('remove').description('Remove the managed identity (the system identity\'s service principal is deleted)'))
    .action(async (o: Target) => {
      const s = new ServiceSession(o.dataDir, type);
      print(flatten(await s.arm('PATCH', s.path(o.resourceGroup, o.name), { identity: { type: 'None' } })));
    });
  named(identity.command('show').description('Show the managed identity'))
    .action(async (o: Target) => {
      const s = new ServiceSession(o.dataDir, type);
      print((await s.arm('GET', s.path(o.resourceGroup, o.name))).identity ?? null);
    });
}
