// App registration certificates and user password reset in the portal (headless Chromium, as the
// bootstrap administrator). Certificates & secrets → Certificates → Upload certificate (a PEM and a
// DER .cer file picked in the w.browser) → the list shows thumbprint, description, dates and key id;
// ClientCertificateCredential with the matching private key then gets a token; Delete removes one.
// Users → a user → Reset password shows a temporary password once: the old password then fails and
// the new one signs in (UsernamePasswordCredential). axe-core on each page.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientCertificateCredential, UsernamePasswordCredential } from '@azure/identity';
import { createClientCert, removeCertFiles, type ClientCert } from '../helpers/certs.ts';
import { PORTAL_SKIP, assertAccessible, newContext, shot, signIn, portalWorld } from './browser.ts';

const T = 'f6a7b8c9-d0e1-4f2a-8b3c-4d5e6f7a8b91';
const S = 'f6a7b8c9-d0e1-4f2a-8b3c-4d5e6f7a8b92';
const DOMAIN = 'contoso-creds.onmicrosoft.com';
const APP = { displayName: 'cert-app', appId: 'f6a7b8c9-d0e1-4f2a-8b3c-4d5e6f7a8b93' };
const CLI = { displayName: 'creds-cli', appId: 'f6a7b8c9-d0e1-4f2a-8b3c-4d5e6f7a8b94' };
const USER = { userPrincipalName: `paula@${DOMAIN}`, displayName: 'Paula Password', password: 'Paula-password-42!', id: 'f6a7b8c9-d0e1-4f2a-8b3c-4d5e6f7a8b95' };
const ARM_SCOPE = 'https://management.azure.com/.default';

let pem: ClientCert;
let der: ClientCert;

const w = portalWorld(() => ({
  config: {
    tenantId: T, subscriptionId: S, domains: [DOMAIN], users: [USER],
    applications: [{ displayName: APP.displayName, appId: APP.appId }, { displayName: CLI.displayName, appId: CLI.appId, isFallbackPublicClient: true }],
  },
}), async () => {
  [pem, der] = await Promise.all([createClientCert('portal-pem'), createClientCert('portal-der')]);
});

after(async () => {
  removeCertFiles();
});

const opts = () => ({ authorityHost: w.lapis.ready.authorityHost, disableInstanceDiscovery: true });

test('Certificates: upload a PEM and a DER certificate, the SDK signs in with the key, Delete removes one', { skip: PORTAL_SKIP, timeout: 120_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  try {
    await signIn(page, portalUrl, w.lapis.node.bootstrapUser!);
    await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'App registrations' }).click();
    await page.getByRole('link', { name: APP.displayName }).click();
    await page.getByRole('tab', { name: 'Certificates & secrets' }).click();
    await page.getByRole('tab', { name: /^Certificates \(0\)/ }).click();
    await page.getByText('No certificates have been added').waitFor();

    for (const [cert, file, description] of [[pem, { name: 'client.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(pem.certPem) }, 'pem upload'],
      [der, { name: 'client.cer', mimeType: 'application/pkix-cert', buffer: der.der }, 'der upload']] as const) {
      await page.getByRole('button', { name: 'Upload certificate' }).click();
      await page.getByTestId('certificate-file').setInputFiles(file);
      await page.getByTestId('certificate-description').fill(description);
      await assertAccessible(page, 'Upload certificate');
      await page.getByRole('form', { name: 'Upload certificate' }).getByRole('button', { name: 'Add' }).click();
      const thumb = Buffer.from(cert.x5t, 'base64url').toString('hex').toUpperCase();
      await page.getByTestId('certificate-row').filter({ hasText: thumb }).filter({ hasText: description }).waitFor();
    }
    assert.equal(await page.getByTestId('certificate-row').count(), 2);
    await shot(page, '82-app-certificates');
    await assertAccessible(page, 'Certificates');

    for (const cert of [pem, der]) {
      const token = await new ClientCertificateCredential(T, APP.appId, { certificate: `${cert.certPem}${cert.keyPem}` }, opts()).getToken(ARM_SCOPE);
      assert.ok(token?.token, 'a token with the uploaded certificate');
    }

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete certificate der upload' }).click();
    await page.getByTestId('certificate-row').filter({ hasText: 'der upload' }).waitFor({ state: 'detached' });
    const app = w.lapis.node.identity.directory.applications().find((a) => a.appId === APP.appId)!;
    assert.deepEqual(app.keyCredentials.map((k) => k.displayName), ['pem upload'], 'the other certificate is kept');
    await assert.rejects(new ClientCertificateCredential(T, APP.appId, { certificate: `${der.certPem}${der.keyPem}` }, opts()).getToken(ARM_SCOPE));
  } finally {
    await context.close();
  }
});

test('Users → a user → Reset password: the temporary password is shown once, the old one fails, the new one signs in', { skip: PORTAL_SKIP, timeout: 120_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  try {
    await signIn(page, portalUrl, w.lapis.node.bootstrapUser!);
    await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('link', { name: USER.displayName }).click();
    await page.getByTestId('user-object-id').waitFor();
    assert.equal(await page.getByTestId('user-object-id').inputValue(), USER.id);
    await assertAccessible(page, 'User Overview');
    await page.getByRole('button', { name: 'Reset password' }).click();
    await page.getByRole('region', { name: 'Reset password' }).getByRole('button', { name: 'Reset password' }).click();
    const temporary = await page.getByTestId('temporary-password').inputValue();
    assert.ok(temporary.length >= 16);
    await shot(page, '83-user-reset-password');
    await assertAccessible(page, 'User Overview after reset');

    await assert.rejects(new UsernamePasswordCredential(T, CLI.appId, USER.userPrincipalName, USER.password, opts()).getToken(ARM_SCOPE), /AADSTS50126/);
    const token = await new UsernamePasswordCredential(T, CLI.appId, USER.userPrincipalName, temporary, opts()).getToken(ARM_SCOPE);
    assert.ok(token?.token);

    // Leaving the blade forgets it.
    await page.getByRole('link', { name: 'Users', exact: true }).first().click();
    await page.getByRole('link', { name: USER.displayName }).click();
    await page.getByTestId('user-object-id').waitFor();
    assert.equal(await page.getByTestId('temporary-password').count(), 0);
  } finally {
    await context.close();
  }
});
