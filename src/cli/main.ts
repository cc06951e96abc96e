import { Command, CommanderError, Option } from 'commander';
import { startLapis } from '../server/node.ts';
import { resolveStartOptions, DEFAULTS, OptionError } from '../server/options.ts';
import { ConfigError, loadConfigFile, serviceModeOf } from '../config/index.ts';
import { WorldError } from '../control/index.ts';
import { createLogger } from '../log/index.ts';
import type { ReadyInfo } from '../server/ready.ts';
import { adCommands } from './ad.ts';
import { roleCommands } from './role.ts';
import { webpubsubCommands } from './webpubsub.ts';
import { signalrCommands } from './signalr.ts';
import { keyvaultCommands } from './keyvault.ts';
import { CliError } from './client.ts';

/** Stop must finish within this; after it the process exits anyway (DESIGN: clean stop in 10 s). */
const STOP_DEADLINE_MS = 9_000;

export function buildCli(): Command {
  const program = new Command('lapis')
    .description('Lapis: self-hosted real-time messaging with the wire protocols of Azure Web PubSub and Azure SignalR and an Entra ID–compatible identity service.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError()
    .exitOverride();

  program.command('start')
    .description('Start Lapis: identity (HTTPS), managed-identity endpoints (HTTP) and every resource of the world. With no config file, a default world (one tenant, subscription, resource group, a Web PubSub resource and a SignalR resource) is created.')
    .addOption(new Option('-c, --config <file>', 'declarative world file (JSON), applied idempotently at every start').env('LAPIS_CONFIG'))
    .addOption(new Option('-d, --data-dir <dir>', 'state directory (store, TLS material, ready.json)').env('LAPIS_DATA_DIR').default(DEFAULTS.dataDir))
    .addOption(new Option('--http-port <port>', 'plain-HTTP listener: health and managed-identity endpoints (0 = any free port)').env('LAPIS_HTTP_PORT').default(String(DEFAULTS.httpPort)))
    .addOption(new Option('--https-port <port>', 'HTTPS listener: identity (authority host) and management (0 = any free port)').env('LAPIS_HTTPS_PORT').default(String(DEFAULTS.httpsPort)))
    .addOption(new Option('--host <address>', 'address every listener binds').env('LAPIS_HOST').default(DEFAULTS.host))
    .addOption(new Option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent').env('LAPIS_LOG_LEVEL').default(DEFAULTS.logLevel))
    .addOption(new Option('--store <url>', 'cluster mode: the PostgreSQL store the nodes share (postgresql://USER:PASSWORD@HOST:5432/DB); default: the embedded SQLite file in the data directory').env('LAPIS_STORE'))
    .addOption(new Option('--backplane <url>', 'cluster mode: the Redis backplane the nodes share (redis://HOST:6379); default: in-process. Needs --store, and the reverse').env('LAPIS_BACKPLANE'))
    .addOption(new Option('--node-name <name>', 'this node\'s name in logs, metrics and ready.json (default: the host name)').env('LAPIS_NODE_NAME'))
    .addOption(new Option('--port-offset <n>', 'added to every port this node binds, main and per resource (0 stays "any free port"), to run several nodes on one machine').env('LAPIS_PORT_OFFSET').default('0'))
    .addOption(new Option('--public-url <url>', 'the https:// origin clients reach the cluster by (a load balancer): the token issuer and the URLs printed, on every node').env('LAPIS_PUBLIC_URL'))
    .addOption(new Option('--master-key-file <file>', 'the key that seals secrets at rest (32 bytes, base64); the nodes of a cluster share one. Else LAPIS_MASTER_KEY, else <data-dir>/master.key, generated').env('LAPIS_MASTER_KEY_FILE'))
    .action(async (flags: Record<string, string>) => {
      const opts = resolveStartOptions(flags, {});
      const log = createLogger({ level: opts.logLevel });
      // One request's stray promise must not end the process for everyone: log it and go on.
      process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled promise rejection'));
      const node = await startLapis(opts, log);
      process.stdout.write(describeReady(node.ready, opts.dataDir, (name) => {
        const r = node.resources.signalR.get(name);
        return r && serviceModeOf(r.properties.features);
      }));
      if (node.bootstrapAdmin) {
        process.stdout.write([
          'First start: a bootstrap administrator was created. Its secret is shown only now; keep it safe.',
          `  tenant ${node.ready.tenantId}, client id ${node.bootstrapAdmin.appId}`,
          `  client secret: ${node.bootstrapAdmin.secretText}`,
          '',
        ].join('\n'));
      }
      if (node.bootstrapUser) {
        process.stdout.write([
          'First start: a bootstrap administrator user was created (Owner at /). Its password is shown only now; keep it safe.',
          `  user principal name: ${node.bootstrapUser.userPrincipalName}`,
          `  password: ${node.bootstrapUser.password}`,
          '',
        ].join('\n'));
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping');
        setTimeout(() => { log.error('stop took too long; exiting'); process.exit(1); }, STOP_DEADLINE_MS).unref();
        node.stop().then(() => process.exit(0), (err: unknown) => { log.error({ err }, 'stop failed'); process.exit(1); });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });

  program.command('validate-config')
    .description('Check a world file without starting anything; prints every problem with its JSON path.')
    .argument('<file>', 'the JSON world file')
    .action((file: string) => {
      loadConfigFile(file);
      process.stdout.write(`${file}: valid\n`);
    });

  program.addCommand(adCommands());
  program.addCommand(roleCommands());
  program.addCommand(webpubsubCommands());
  program.addCommand(signalrCommands());
  program.addCommand(keyvaultCommands());
  return program;
}

/** How the banner explains a SignalR resource's service mode, with the command that switches it. */
function modeHint(mode: string, name: string, id: string): string {
  const rg = /\/resourceGroups\/([^/]+)\//i.exec(id)?.[1] ?? '<resource group>';
  return mode === 'Serverless'
    ? `Serverless (clients connect with tokens your app mints, e.g. POST /api/hubs/{hub}/:generateToken; client events go to properties.upstream.templates)`
    : `${mode} (as in Azure: clients need a connected app server; lapis signalr update -n ${name} -g ${rg} --service-mode Serverless switches)`;
}

/** The start-up banner: everything a newcomer needs to point an SDK at this node. */
export function describeReady(r: ReadyInfo, dataDir: string, signalRModeOf: (name: string) => string | undefined = () => undefined): string {
  const lines = [
    r.store === undefined ? 'Lapis is ready.' : `Lapis node ${r.nodeName ?? ''} is ready, in a cluster (shared ${r.store} store, ${r.backplane ?? ''} backplane).`,
    `  authority host (AZURE_AUTHORITY_HOST): ${r.authorityHost}`,
    `  tenant id (AZURE_TENANT_ID):           ${r.tenantId}`,
    `  subscription id:                       ${r.subscriptionId}`,
    ...(r.portalUrl ? [`  portal (sign in with a user of the tenant):    ${r.portalUrl}`] : []),
    `  plain HTTP (health, metrics, managed identity): ${r.httpUrl}`,
    `  managed identity endpoint (IDENTITY_ENDPOINT): ${r.managedIdentity.identityEndpoint}  (IDENTITY_HEADER is in ready.json)`,
    `  trust the local CA: export NODE_EXTRA_CA_CERTS=${r.caCertPath}`,
    ...r.resources.flatMap((res) => [
      `  ${res.type} "${res.name}": ${res.endpoint ?? res.vaultUri ?? ''}${res.httpEndpoint ? ` (plain HTTP ${res.httpEndpoint})` : ''}`,
      ...(res.connectionString ? [`    connection string: ${res.connectionString}`] : []),
      ...((m) => (m ? [`    service mode: ${modeHint(m, res.name, res.id)}`] : []))(signalRModeOf(res.name)),
    ]),
    `  everything above, as JSON: ${dataDir}/ready.json`,
    '',
  ];
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const program = buildCli();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    if (err instanceof ConfigError || err instanceof OptionError || err instanceof WorldError || err instanceof CliError) {
      process.stderr.write(`lapis: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`lapis: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
