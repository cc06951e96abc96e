// InteractiveBrowserCredential from @azure/identity, unmodified, against Lapis: MSAL Node opens the
// authorize URL through the `open` package; this test swaps that package (a module hook, before
// @azure/identity loads it) for one that hands the URL to headless Chromium driven by Playwright,
// which fills Lapis's sign-in form. The loopback redirect (form_post to http://localhost:<port>)
// completes the flow and getToken resolves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { registerHooks } from 'node:module';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { WEBPUBSUB, WEBPUBSUB_SCOPE, assertSdkToken, scrubAzureEnv, verifyAccessToken, within } from './support.ts';
import { CHROMIUM, NO_CHROMIUM } from './interactive-support.ts';

const TENANT = '9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a71';
const DOMAIN = 'northwind.onmicrosoft.com';
const DESKTOP = '0f1a2b3c-4d5e-4f6a-9b7c-8d9e0f1a2b72';
const USER = { userPrincipalName: `adele@${DOMAIN}`, displayName: 'Adele Vance', password: 'Adele-password-73!', id: '1a2b3c4d-5e6f-4a7b-8c8d-9e0f1a2b3c73' };

type OpenBrowser = (url: string) => Promise<void>;
const hooks = globalThis as { __lapisOpenBrowser?: OpenBrowser };
// The stand-in for the `open` package: MSAL awaits it, so it resolves once the page has been handed over.
const FAKE_OPEN = `data:text/javascript,${encodeURIComponent('export default async function open(url) { await globalThis.__lapisOpenBrowser(url); return { unref() {} }; }')}`;
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === 'open') return { url: FAKE_OPEN, shortCircuit: true, format: 'module' };
    return next(specifier, context);
  },
});

let lapis: TestLapis;
let browser: import('playwright-core').Browser | undefined;

before(async () => {
  if (NO_CHROMIUM) return;
  scrubAzureEnv();
  lapis = await startTestLapis({ config: { tenantId: TENANT, domains: [DOMAIN], users: [USER] } });
  await lapis.node.identity.directory.upsertApplication(TENANT, { displayName: 'desktop-tool', appId: DESKTOP, publicClient: { redirectUris: ['http://localhost'] } });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await lapis?.stop();
});

test('InteractiveBrowserCredential: Chromium signs in on Lapis\'s page, the loopback redirect completes, the token verifies', { skip: NO_CHROMIUM, timeout: 90_000 }, async () => {
  const { InteractiveBrowserCredential } = await import('@azure/identity');
  // Lapis's CA is trusted by this process, not by Chromium: the browser context accepts its certificate.
  const context = await browser!.newContext({ ignoreHTTPSErrors: true });
  const seen: string[] = [];
  let signedIn: Promise<void> = Promise.resolve();
  hooks.__lapisOpenBrowser = async (url) => {
    seen.push(url);
    const page = await context.newPage();
    await page.goto(url);
    signedIn = (async () => {
      await page.fill('#login', USER.userPrincipalName);
      await page.fill('#passwd', USER.password);
      await page.click('#idSIButton9');
      await page.waitForURL(/^http:\/\/localhost:\d+\//, { timeout: 30_000 });
    })();
  };
  try {
    const cred = new InteractiveBrowserCredential({
      tenantId: TENANT, clientId: DESKTOP, authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true,
    });
    const t = await within(cred.getToken(WEBPUBSUB_SCOPE), 60_000, 'InteractiveBrowserCredential.getToken');
    await signedIn;
    assertSdkToken(t);
    const v = await verifyAccessToken(lapis.ready, t.token, { audience: WEBPUBSUB, ver: '1.0' });
    assert.equal(v.payload.oid, USER.id);
    assert.equal(v.payload.upn, USER.userPrincipalName);
    assert.equal(v.payload.appid, DESKTOP);
    assert.equal(v.payload.idtyp, 'user');
    assert.equal(seen.length, 1, 'the browser was opened once');
    const asked = new URL(seen[0]!);
    assert.equal(asked.pathname, `/${TENANT}/oauth2/v2.0/authorize`);
    assert.equal(asked.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(asked.searchParams.get('response_mode'), 'form_post');
    assert.match(asked.searchParams.get('redirect_uri')!, /^http:\/\/localhost:\d+$/);
    // A second getToken is answered from MSAL's cache (account from id_token + client_info): the browser is not opened again.
    const again = await within(cred.getToken(WEBPUBSUB_SCOPE), 30_000);
    assertSdkToken(again);
    assert.equal(seen.length, 1);
    // Another resource: MSAL uses the refresh token silently (rotation), still no browser.
    const vault = await within(cred.getToken('https://vault.azure.net/.default'), 30_000);
    assertSdkToken(vault);
    assert.equal(seen.length, 1, 'refresh token grant, not a new interactive sign-in');
    await verifyAccessToken(lapis.ready, vault.token, { audience: 'https://vault.azure.net', ver: '1.0' });
  } finally {
    hooks.__lapisOpenBrowser = undefined;
    await context.close();
  }
});
