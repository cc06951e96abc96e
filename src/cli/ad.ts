import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { LapisClient, dataDirOption, printJson as print } from './client.ts';

type Json = Record<string, unknown>;

const graph = (dataDir: string) => {
  const c = new LapisClient(dataDir);
  return { c, call: <T = Json>(method: string, path: string, body?: unknown) => c.graph<T>(method, path, body) };
};
const appPath = (id: string) => `/applications/${encodeURIComponent(id)}`;

/** `lapis ad …`: Entra ID objects, named after `az ad …`, through the running node's Graph API. */
export function adCommands(): Command {
  const ad = new Command('ad').description('Manage the identity directory (app registrations, secrets, certificates, service principals, users), like az ad');

  const app = ad.command('app').description('Application registrations');
  app.command('create').description('Register an application (and its service principal)')
    .requiredOption('--display-name <name>', 'display name')
    .option('--identifier-uris <uri...>', 'Application ID URIs (audiences other apps request tokens for)')
    .option('--is-fallback-public-client', 'allow users to sign in with a password (ROPC)')
    .option('--requested-access-token-version <n>', 'token format issued for this app as a resource: 1 or 2')
    .addOption(dataDirOption())
    .action(async (o: { displayName: string; identifierUris?: string[]; isFallbackPublicClient?: boolean; requestedAccessTokenVersion?: string; dataDir: string }) => {
      const { call } = graph(o.dataDir);
      const v = o.requestedAccessTokenVersion;
      if (v !== undefined && v !== '1' && v !== '2') throw new Error('--requested-access-token-version must be 1 or 2');
      print(await call('POST', '/applications', {
        displayName: o.displayName, identifierUris: o.identifierUris, isFallbackPublicClient: o.isFallbackPublicClient ?? false,
        ...(v ? { api: { requestedAccessTokenVersion: Number(v) } } : {}),
      }));
    });
  app.command('list').description('List applications').addOption(dataDirOption())
    .action(async (o: { dataDir: string }) => print((await graph(o.dataDir).call<{ value: unknown[] }>('GET', '/applications')).value));
  app.command('show').description('Show an application').requiredOption('--id <id>', 'appId or object id').addOption(dataDirOption())
    .action(async (o: { id: string; dataDir: string }) => print(await graph(o.dataDir).call('GET', appPath(o.id))));
  app.command('delete').description('Delete an application and its service principal').requiredOption('--id <id>', 'appId or object id').addOption(dataDirOption())
    .action(async (o: { id: string; dataDir: string }) => { await graph(o.dataDir).call('DELETE', appPath(o.id)); });

  const cred = app.command('credential').description("An application's client secrets and certificates");
  cred.command('reset').description('Add a client secret (shown once) or a certificate; without --append, existing ones of that kind are removed first')
    .requiredOption('--id <id>', 'appId or object id')
    .option('--display-name <name>', 'description of the credential')
    .option('--end-date <date>', 'expiry (ISO-8601 date or date-time)')
    .option('--years <n>', 'years of validity (default 1; ignored with --end-date)')
    .option('--cert <file>', 'register this certificate (PEM; the public part only) instead of creating a secret')
    .option('--append', 'keep the existing credentials')
    .addOption(dataDirOption())
    .action(async (o: { id: string; displayName?: string; endDate?: string; years?: string; cert?: string; append?: boolean; dataDir: string }) => {
      const { c, call } = graph(o.dataDir);
      const a = await call<{ appId: string; passwordCredentials: { keyId: string }[]; keyCredentials: Json[] }>('GET', appPath(o.id));
      if (o.cert) {
        const pem = readFileSync(o.cert, 'utf8');
        const block = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
        if (!block) throw new Error(`${o.cert} holds no PEM certificate`);
        const keep = o.append ? (await call<{ value: Json[] }>('GET', `${appPath(a.appId)}/keyCredentials`)).value : [];
        if (keep.length) throw new Error('--append with --cert: Graph cannot re-send existing certificates; remove --append or add the certificate with a PATCH');
        await call('PATCH', appPath(a.appId), { keyCredentials: [{ type: 'AsymmetricX509Cert', usage: 'Verify', key: block, displayName: o.displayName }] });
        print({ appId: a.appId, tenant: c.ready.tenantId });
        return;
      }
      if (!o.append) for (const p of a.passwordCredentials) await call('POST', `${appPath(a.appId)}/removePassword`, { keyId: p.keyId });
      const years = o.years === undefined ? 1 : Number(o.years);
      if (!Number.isFinite(years) || years <= 0 || years > 100) throw new Error('--years must be a positive number');
      const end = o.endDate ? new Date(o.endDate) : new Date(Date.now() + years * 365.25 * 24 * 3600_000);
      if (Number.isNaN(end.getTime())) throw new Error('--end-date is not a date');
      const p = await call<{ secretText: string }>('POST', `${appPath(a.appId)}/addPassword`, { passwordCredential: { displayName: o.displayName, endDateTime: end.toISOString() } });
      // As az prints it: the secret appears here once and is never retrievable again.
      print({ appId: a.appId, password: p.secretText, tenant: c.ready.tenantId });
    });
  cred.command('list').description('List secrets (hints only) and certificates').requiredOption('--id <id>', 'appId or object id').addOption(dataDirOption())
    .action(async (o: { id: string; dataDir: string }) => {
      const a = await graph(o.dataDir).call<Json>('GET', appPath(o.id));
      print({ passwordCredentials: a.passwordCredentials, keyCredentials: a.keyCredentials });
    });
  cred.command('delete').description('Remove a secret or certificate').requiredOption('--id <id>', 'appId or object id').requiredOption('--key-id <keyId>', 'the credential\'s keyId')
    .option('--cert', 'the key id names a certificate').addOption(dataDirOption())
    .action(async (o: { id: string; keyId: string; cert?: boolean; dataDir: string }) => {
      await graph(o.dataDir).call('POST', `${appPath(o.id)}/${o.cert ? 'removeKey' : 'removePassword'}`, { keyId: o.keyId });
    });

  ad.command('sp').description('Service principals').command('list').description('List service principals (apps and managed identities)').addOption(dataDirOption())
    .action(async (o: { dataDir: string }) => print((await graph(o.dataDir).call<{ value: unknown[] }>('GET', '/servicePrincipals')).value));

  const user = ad.command('user').description('Users (for password sign-in)');
  user.command('create').description('Create a user').requiredOption('--user-principal-name <upn>', 'user@domain (a verified domain of the tenant)')
    .requiredOption('--password <password>', 'initial password').option('--display-name <name>', 'display name').addOption(dataDirOption())
    .action(async (o: { userPrincipalName: string; password: string; displayName?: string; dataDir: string }) => {
      print(await graph(o.dataDir).call('POST', '/users', { userPrincipalName: o.userPrincipalName, displayName: o.displayName, passwordProfile: { password: o.password } }));
    });
  user.command('list').description('List users').addOption(dataDirOption())
    .action(async (o: { dataDir: string }) => print((await graph(o.dataDir).call<{ value: unknown[] }>('GET', '/users')).value));
  return ad;
}
