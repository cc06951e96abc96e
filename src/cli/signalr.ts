import { Command, Option } from 'commander';
import { CliError, dataDirOption, printJson as print } from './client.ts';
import { ServiceSession, addIdentityCommands, collect, flatten, namedFor, parseBool, parsePairs, type Json, type Target } from './service-commands.ts';

/** The SignalR kind's session: paths below Microsoft.SignalRService/signalR. */
class Session extends ServiceSession {
  constructor(dataDir: string) {
    super(dataDir, 'signalR');
  }
}

const named = namedFor('SignalR');
const SKUS = ['Free_F1', 'Standard_S1', 'Premium_P1', 'Premium_P2'];
const TEMPLATE_KEYS = ['url-template', 'hub-pattern', 'event-pattern', 'category-pattern', 'auth-type', 'auth-resource'] as const;

/**
 * `--template` as az takes it: one option per template, space-separated key=value pairs:
 *   url-template=…  [hub-pattern=…] [event-pattern=…] [category-pattern=…] [auth-type=ManagedIdentity auth-resource=…]
 */
export function parseUpstreamTemplate(tokens: string[]): Json {
  const p = parsePairs('--template', tokens, TEMPLATE_KEYS);
  if (!p['url-template']) throw new CliError('--template: url-template=… is required');
  const t: Json = { urlTemplate: p['url-template'] };
  if (p['hub-pattern'] !== undefined) t.hubPattern = p['hub-pattern'];
  if (p['event-pattern'] !== undefined) t.eventPattern = p['event-pattern'];
  if (p['category-pattern'] !== undefined) t.categoryPattern = p['category-pattern'];
  const authType = p['auth-type'] ?? (p['auth-resource'] !== undefined ? 'ManagedIdentity' : undefined);
  if (authType !== undefined) {
    if (/^none$/i.test(authType)) t.auth = { type: 'None' };
    else if (/^managedidentity$/i.test(authType)) {
      if (!p['auth-resource']) throw new CliError('--template: auth-type=ManagedIdentity needs auth-resource=<app id or Application ID URI>');
      t.auth = { type: 'ManagedIdentity', managedIdentity: { resource: p['auth-resource'] } };
    } else throw new CliError(`--template: auth-type must be None or ManagedIdentity (got '${authType}')`);
  }
  return t;
}

/** The properties `create` and `update` take, as az signalr names the options. */
interface Settings { serviceMode?: string; allowedOrigins?: string[]; enableMessageLogs?: string | boolean; disableLocalAuth?: string | boolean; sku?: string; unitCount?: string; tags?: string[] }

function settingsBody(o: Settings): Json {
  const properties: Json = {};
  const features: Json[] = [];
  if (o.serviceMode) features.push({ flag: 'ServiceMode', value: o.serviceMode });
  const logs = parseBool('--enable-message-logs', o.enableMessageLogs);
  if (logs !== undefined) features.push({ flag: 'EnableMessagingLogs', value: logs ? 'True' : 'False' });
  if (features.length) properties.features = features;
  if (o.allowedOrigins) properties.cors = { allowedOrigins: o.allowedOrigins };
  const disableLocalAuth = parseBool('--disable-local-auth', o.disableLocalAuth);
  if (disableLocalAuth !== undefined) properties.disableLocalAuth = disableLocalAuth;
  const body: Json = {};
  if (Object.keys(properties).length) body.properties = properties;
  if (o.sku || o.unitCount) {
    const capacity = o.unitCount === undefined ? undefined : Number(o.unitCount);
    if (capacity !== undefined && (!Number.isInteger(capacity) || capacity < 1)) throw new CliError(`--unit-count takes a whole number from 1 (got '${o.unitCount}')`);
    body.sku = { name: o.sku ?? 'Standard_S1', ...(capacity ? { capacity } : {}) };
  }
  if (o.tags) body.tags = parsePairs('--tags', o.tags);
  return body;
}

const withSettings = (cmd: Command): Command => cmd
  .addOption(new Option('--service-mode <mode>', 'Default (an app server connects) or Serverless (upstream templates)').choices(['Default', 'Serverless']))
  .option('--allowed-origins <origin...>', 'CORS origins allowed to call the service (* for any)')
  .option('--enable-message-logs [bool]', 'the EnableMessagingLogs feature (true/false)')
  .option('--disable-local-auth [bool]', 'refuse access keys and key-signed tokens (true/false)')
  .addOption(new Option('--sku <sku>', 'SKU name (kept as metadata; limits nothing)').choices(SKUS))
  .option('--unit-count <n>', 'SKU capacity (kept as metadata)')
  .option('--tags <tag...>', 'space-separated key=value tags');

/** `lapis signalr …`: SignalR resources, keys, identity and upstream, named after `az signalr …`. */
export function signalrCommands(): Command {
  const sr = new Command('signalr').description('Manage SignalR resources: create, update, keys, identity and upstream, like az signalr');

  withSettings(named(sr.command('create').description('Create a SignalR resource; it serves at once on its own origins')))
    .option('-l, --location <location>', 'location (kept as metadata)', 'local')
    .action(async (o: Target & Settings & { location: string }) => {
      const s = new Session(o.dataDir);
      const body = { location: o.location, ...settingsBody(o) };
      print(flatten(await s.arm('PUT', s.path(o.resourceGroup, o.name), body)));
    });

  withSettings(named(sr.command('update').description('Update a SignalR resource: only the given settings change')))
    .action(async (o: Target & Settings) => {
      const s = new Session(o.dataDir);
      const body = settingsBody(o);
      if (!Object.keys(body).length) throw new CliError('nothing to update: give --service-mode, --allowed-origins, --enable-message-logs, --disable-local-auth, --sku, --unit-count or --tags');
      print(flatten(await s.arm('PATCH', s.path(o.resourceGroup, o.name), body)));
    });

  named(sr.command('show').description('Show a SignalR resource'))
    .action(async (o: Target) => {
      const s = new Session(o.dataDir);
      print(flatten(await s.arm('GET', s.path(o.resourceGroup, o.name))));
    });

  sr.command('list').description('List SignalR resources (of the node\'s subscription, or of one resource group)')
    .option('-g, --resource-group <name>', 'only this resource group')
    .addOption(dataDirOption())
    .action(async (o: { resourceGroup?: string; dataDir: string }) => {
      const s = new Session(o.dataDir);
      print((await s.arm<{ value: Json[] }>('GET', s.path(o.resourceGroup))).value.map(flatten));
    });

  named(sr.command('delete').description('Delete a SignalR resource: its origins stop and its system identity is deleted'))
    .action(async (o: Target) => {
      const s = new Session(o.dataDir);
      await s.arm('DELETE', s.path(o.resourceGroup, o.name));
    });

  const key = sr.command('key').description('Access keys and connection strings');
  named(key.command('list').description('List the access keys and connection strings'))
    .action(async (o: Target) => {
      const s = new Session(o.dataDir);
      print(await s.arm('POST', s.path(o.resourceGroup, o.name, 'listKeys')));
    });
  named(key.command('renew').description('Renew one key (the other keeps working); salt invalidates tokens from :generateToken'))
    .addOption(new Option('--key-type <type>', 'which key').choices(['primary', 'secondary', 'salt']).makeOptionMandatory())
    .action(async (o: Target & { keyType: string }) => {
      const s = new Session(o.dataDir);
      const keyType = o.keyType[0]!.toUpperCase() + o.keyType.slice(1).toLowerCase();
      print(await s.arm('POST', s.path(o.resourceGroup, o.name, 'regenerateKey'), { keyType }));
    });

  addIdentityCommands(sr, 'SignalR', 'signalR');

  const upstream = sr.command('upstream').description('Upstream templates (serverless mode): where client events are sent');
  named(upstream.command('update').description('Replace every upstream template, in order'))
    .option('--template <pair...>', 'url-template=… [hub-pattern=…] [event-pattern=…] [category-pattern=…] [auth-type=ManagedIdentity auth-resource=…]; repeat for more templates', collect)
    .action(async (o: Target & { template?: string[] }) => {
      const s = new Session(o.dataDir);
      // Tokens of every --template arrive as one list: each url-template starts the next template.
      const groups: string[][] = [];
      for (const t of o.template ?? []) {
        if (!groups.length || /^url-template=/i.test(t)) groups.push([]);
        groups[groups.length - 1]!.push(t);
      }
      const templates = groups.map((g) => parseUpstreamTemplate(g));
      print(flatten(await s.arm('PATCH', s.path(o.resourceGroup, o.name), { properties: { upstream: { templates } } })).upstream);
    });
  named(upstream.command('list').description('List the upstream templates'))
    .action(async (o: Target) => {
      const s = new Session(o.dataDir);
      print((await s.arm('GET', s.path(o.resourceGroup, o.name))).properties?.upstream ?? { templates: [] });
    });
  named(upstream.command('clear').description('Remove every upstream template'))
    .action(async (o: Target) => {
      const s = new Session(o.dataDir);
      print(flatten(await s.arm('PATCH', s.path(o.resourceGroup, o.name), { properties: { upstream: { templates: [] } } })).upstream);
    });
  return sr;
}
