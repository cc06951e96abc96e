import { Command, Option } from 'commander';
import { CliError, dataDirOption, printJson as print } from './client.ts';
import { ServiceSession, addIdentityCommands, collect, flatten, namedFor, parseBool, type Json, type Target } from './service-commands.ts';

/** The Web PubSub kind's session: paths below Microsoft.SignalRService/webPubSub. */
class Session extends ServiceSession {
  constructor(dataDir: string) {
    super(dataDir, 'webPubSub');
  }
}

const named = namedFor('Web PubSub');

const hubNamed = (cmd: Command): Command => named(cmd).requiredOption('--hub-name <hub>', 'name of the hub');

/**
 * `--event-handler` takes space-separated key=value pairs, as az does:
 *   url-template=…  user-event-pattern=…  system-event=connect system-event=connected
 *   auth-type=None|ManagedIdentity  auth-resource=<app id or Application ID URI>
 * Give the option once per handler; a second url-template starts the next handler, so
 * `--event-handler url-template=A … --event-handler url-template=B …` declares two, in order.
 */
export function parseEventHandlers(tokens: string[]): Json[] {
  const handlers: Json[] = [];
  let cur: Json | undefined;
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq <= 0) throw new CliError(`--event-handler: '${t}' is not key=value (keys: url-template, user-event-pattern, system-event, auth-type, auth-resource)`);
    const key = t.slice(0, eq).toLowerCase();
    const value = t.slice(eq + 1);
    if (!cur || (key === 'url-template' && cur.urlTemplate !== undefined)) {
      cur = {};
      handlers.push(cur);
    }
    switch (key) {
      case 'url-template': cur.urlTemplate = value; break;
      case 'user-event-pattern': cur.userEventPattern = value; break;
      case 'system-event': (cur.systemEvents ??= []).push(...value.split(',').map((s) => s.trim()).filter(Boolean)); break;
      case 'auth-type': {
        const type = /^managedidentity$/i.test(value) ? 'ManagedIdentity' : /^none$/i.test(value) ? 'None' : undefined;
        if (!type) throw new CliError(`--event-handler: auth-type must be None or ManagedIdentity (got '${value}')`);
        cur.auth = { ...(cur.auth ?? {}), type };
        break;
      }
      case 'auth-resource': cur.auth = { type: cur.auth?.type ?? 'ManagedIdentity', managedIdentity: { resource: value } }; break;
      default: throw new CliError(`--event-handler: unknown key '${key}' (keys: url-template, user-event-pattern, system-event, auth-type, auth-resource)`);
    }
  }
  for (const [i, h] of handlers.entries()) {
    if (h.urlTemplate === undefined) throw new CliError(`--event-handler: handler ${i + 1} has no url-template`);
    if (h.auth?.type === 'ManagedIdentity' && !h.auth.managedIdentity) throw new CliError(`--event-handler: handler ${i + 1} has auth-type=ManagedIdentity but no auth-resource`);
    if (h.auth?.type === 'None') h.auth = { type: 'None' };
  }
  return handlers;
}

/** `lapis webpubsub …`: Web PubSub resources, identities, keys and hub settings, named after `az webpubsub …`. */
export function webpubsubCommands(): Command {
  const wps = new Command('webpubsub').description('Manage Web PubSub resources: identity, access keys and hub settings, like az webpubsub');

  wps.command('list').description('List Web PubSub resources (of the node\'s subscription, or of one resource group)')
    .option('-g, --resource-group <name>', 'only this resource group')
    .addOption(dataDirOption())
    .action(async (o: { resourceGroup?: string; dataDir: string }) => {
      const s = new Session(o.dataDir);
      print((await s.arm<{ value: Json[] }>('GET', s.path(o.resourceGroup))).value.map(flatten));
    });

  named(wps.command('show').description('Show a Web PubSub resource'))
    .action(async (o: Target) => {
      const s = new Session(o.dataDir);
      print(flatten(await s.arm('GET', s.path(o.resourceGroup, o.name))));
    });

  named(wps.command('update').description('Update a Web PubSub resource (disableLocalAuth)'))
    .option('--disable-local-auth [bool]', 'refuse access keys and key-signed tokens (true/false)')
    .action(async (o: Target & { disableLocalAuth?: string | boolean }) => {
      const s = new Session(o.dataDir);
      const disableLocalAuth = parseBool('--disable-local-auth', o.disableLocalAuth);
      if (disableLocalAuth === undefined) throw new CliError('nothing to update: give --disable-local-auth');
      print(flatten(await s.arm('PATCH', s.path(o.resourceGroup, o.name), { properties: { disableLocalAuth } })));
    });

  addIdentityCommands(wps, 'Web PubSub', 'webPubSub');

  // ---- keys ----------------------------------------------------------------------------------
  const key = wps.command('key').description('Access keys and connection strings');
  named(key.command('show').description('Show the access keys and connection strings'))
    .action(async (o: Target) => {
      const s = new Session(o.dataDir);
      print(await s.arm('POST', s.path(o.resourceGroup, o.name, 'listKeys')));
    });
  named(key.command('regenerate').description('Regenerate one key (the other keeps working); salt invalidates tokens from :generateToken'))
    .addOption(new Option('--key-type <type>', 'which key').choices(['primary', 'secondary', 'salt']).makeOptionMandatory())
    .action(async (o: Target & { keyType: string }) => {
      const s = new Session(o.dataDir);
      const keyType = o.keyType[0]!.toUpperCase() + o.keyType.slice(1).toLowerCase();
      print(await s.arm('POST', s.path(o.resourceGroup, o.name, 'regenerateKey'), { keyType }));
    });

  // ---- hubs ----------------------------------------------------------------------------------
  const hub = wps.command('hub').description('Hub settings: event handlers and anonymous connect policy');
  const hubPath = (s: Session, o: Target & { hubName: string }) => s.path(o.resourceGroup, o.name, `hubs/${encodeURIComponent(o.hubName)}`);
  hubNamed(hub.command('create').description('Create (or replace) a hub\'s settings'))
    .option('--event-handler <pair...>', 'url-template=… [user-event-pattern=…] [system-event=…]… [auth-type=ManagedIdentity auth-resource=…]; repeat for more handlers', collect)
    .option('--allow-anonymous [bool]', 'let clients connect without an access token (true/false)')
    .action(async (o: Target & { hubName: string; eventHandler?: string[]; allowAnonymous?: string | boolean }) => {
      const s = new Session(o.dataDir);
      const anonymous = parseBool('--allow-anonymous', o.allowAnonymous);
      const properties = {
        eventHandlers: parseEventHandlers(o.eventHandler ?? []),
        anonymousConnectPolicy: anonymous ? 'allow' : 'deny',
      };
      print(await s.arm('PUT', hubPath(s, o), { properties }));
    });
  hubNamed(hub.command('update').description('Update a hub\'s settings: the given parts replace the current ones'))
    .option('--event-handler <pair...>', 'replaces every handler: url-template=… [user-event-pattern=…] [system-event=…]… [auth-type=… auth-resource=…]', collect)
    .option('--clear-event-handlers', 'remove every event handler')
    .option('--allow-anonymous [bool]', 'let clients connect without an access token (true/false)')
    .action(async (o: Target & { hubName: string; eventHandler?: string[]; clearEventHandlers?: boolean; allowAnonymous?: string | boolean }) => {
      const s = new Session(o.dataDir);
      if (o.eventHandler && o.clearEventHandlers) throw new CliError('give --event-handler or --clear-event-handlers, not both');
      const current = await s.arm('GET', hubPath(s, o));
      const properties = { ...current.properties };
      if (o.eventHandler) properties.eventHandlers = parseEventHandlers(o.eventHandler);
      if (o.clearEventHandlers) properties.eventHandlers = [];
      const anonymous = parseBool('--allow-anonymous', o.allowAnonymous);
      if (anonymous !== undefined) properties.anonymousConnectPolicy = anonymous ? 'allow' : 'deny';
      print(await s.arm('PUT', hubPath(s, o), { properties }));
    });
  hubNamed(hub.command('show').description('Show a hub\'s settings'))
    .action(async (o: Target & { hubName: string }) => {
      const s = new Session(o.dataDir);
      print(await s.arm('GET', hubPath(s, o)));
    });
  named(hub.command('list').description('List the hubs that have settings'))
    .action(async (o: Target) => {
      const s = new Session(o.dataDir);
      print((await s.arm<{ value: Json[] }>('GET', s.path(o.resourceGroup, o.name, 'hubs'))).value);
    });
  hubNamed(hub.command('delete').description('Delete a hub\'s settings (the hub itself always exists)'))
    .action(async (o: Target & { hubName: string }) => {
      const s = new Session(o.dataDir);
      await s.arm('DELETE', hubPath(s, o));
    });
  return wps;
}
