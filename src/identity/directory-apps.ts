import { createHash, randomUUID } from 'node:crypto';
import { nameBasedGuid } from '../ids/index.ts';
import type { Store } from '../store/index.ts';
import { KIND, type Application, type KeyCredential, type PasswordCredential, type ServicePrincipal } from './model.ts';
import type { DirectoryView } from './directory-view.ts';
import { hashSecret, secretHint, verifySecret } from './secrets.ts';
import { parseCertificate } from './certificates.ts';
import { updateDocument, type UpdateResult } from './optimistic-update.ts';

export interface DeclaredPassword { keyId?: string; displayName?: string; secretText: string; startDateTime?: string; endDateTime?: string }
export interface DeclaredCertificate { keyId?: string; displayName?: string; key: string }
export interface DeclaredApplication {
  displayName: string; appId?: string; id?: string; identifierUris?: string[]; isFallbackPublicClient?: boolean;
  requestedAccessTokenVersion?: 1 | 2 | null; passwordCredentials?: DeclaredPassword[]; keyCredentials?: DeclaredCertificate[];
  publicClient?: { redirectUris: string[] }; web?: { redirectUris: string[]; logoutUrl?: string }; spa?: { redirectUris: string[] };
}

/** What the directory's write helpers work with: the store, the local view, and read-your-writes. */
export interface DirectoryContext {
  store: Store;
  view: DirectoryView;
  /** Re-reads a record into the view (the change feed does it too; this makes the writer see its write at once). */
  refresh(kind: string, id: string): Promise<void>;
}

interface NameClaim { appId: string }

/** Claims stay short whatever the name: the tenant and a hash of the lower-case name. */
function nameClaimId(tenantId: string, displayName: string): string {
  return `${tenantId}|${createHash('sha256').update(displayName.toLowerCase()).digest('base64url')}`;
}

/**
 * The appId a declaration without one means: the app of that name in the tenant, or a new one.
 * Two nodes applying the same declaration at once race on an insert-if-absent of the name, so
 * both end up with one app instead of two of the same name.
 */
async function appIdForName(ctx: DirectoryContext, tenantId: string, displayName: string): Promise<string> {
  const known = ctx.view.appByDisplayName(tenantId, displayName);
  if (known) return known.appId;
  const id = nameClaimId(tenantId, displayName);
  for (let attempt = 0; attempt < 5; attempt++) {
    const candidate = randomUUID();
    if (await ctx.store.insertIfAbsent<NameClaim>(KIND.applicationName, id, { appId: candidate }, tenantId)) return candidate;
    const claim = await ctx.store.get<NameClaim>(KIND.applicationName, id);
    if (claim) return claim.appId;
    // The claim went away between the two calls (its app was deleted): try again.
  }
  throw new Error(`could not settle which application is named '${displayName}'`);
}

/** Moves the name claim with a rename; a name another app holds is left to it. */
async function claimName(tx: Store, app: Application, prior: Application | undefined): Promise<void> {
  if (prior && prior.displayName.toLowerCase() !== app.displayName.toLowerCase()) await dropNameClaim(tx, prior);
  await tx.insertIfAbsent<NameClaim>(KIND.applicationName, nameClaimId(app.tenantId, app.displayName), { appId: app.appId }, app.tenantId);
}

async function dropNameClaim(tx: Store, app: Application): Promise<void> {
  const id = nameClaimId(app.tenantId, app.displayName);
  const claim = await tx.get<NameClaim>(KIND.applicationName, id);
  if (claim?.appId === app.appId) await tx.delete(KIND.applicationName, id);
}

export function keyCredential(keyId: string, displayName: string | undefined, parsed: ReturnType<typeof parseCertificate>): KeyCredential {
  return {
    keyId, displayName, type: 'AsymmetricX509Cert', usage: 'Verify', certPem: parsed.pem,
    x5t: parsed.x5t, x5tS256: parsed.x5tS256, customKeyIdentifier: parsed.thumbprintHex,
    startDateTime: parsed.notBefore, endDateTime: parsed.notAfter,
  };
}

/** The declaration applied over the app as stored now (credentials matched by keyId; run-time ones kept). */
async function applyDeclaration(prior: Application | undefined, appId: string, tenantId: string, d: DeclaredApplication): Promise<Application> {
  const now = new Date().toISOString();
  const passwords = [...(prior?.passwordCredentials ?? [])];
  for (const [i, p] of (d.passwordCredentials ?? []).entries()) {
    const keyId = (p.keyId ?? nameBasedGuid(appId, 'password', p.displayName ?? String(i))).toLowerCase();
    const at = passwords.findIndex((x) => x.keyId === keyId);
    const existing = at >= 0 ? passwords[at] : undefined;
    const sameSecret = existing ? await verifySecret(p.secretText, existing.secretHash) : false;
    const cred: PasswordCredential = {
      keyId, displayName: p.displayName, hint: secretHint(p.secretText),
      secretHash: sameSecret && existing ? existing.secretHash : await hashSecret(p.secretText, false),
      startDateTime: p.startDateTime ?? existing?.startDateTime ?? now, endDateTime: p.endDateTime,
    };
    if (at >= 0) passwords[at] = cred; else passwords.push(cred);
  }
  const certs = [...(prior?.keyCredentials ?? [])];
  for (const [i, c] of (d.keyCredentials ?? []).entries()) {
    const parsed = parseCertificate(c.key);
    const keyId = (c.keyId ?? nameBasedGuid(appId, 'certificate', parsed.x5tS256, String(i))).toLowerCase();
    const cred = keyCredential(keyId, c.displayName, parsed);
    const at = certs.findIndex((x) => x.keyId === keyId);
    if (at >= 0) certs[at] = cred; else certs.push(cred);
  }
  return {
    id: (d.id ?? prior?.id ?? randomUUID()).toLowerCase(), appId, tenantId,
    displayName: d.displayName,
    identifierUris: d.identifierUris ?? prior?.identifierUris ?? [],
    isFallbackPublicClient: d.isFallbackPublicClient ?? prior?.isFallbackPublicClient ?? false,
    requestedAccessTokenVersion: d.requestedAccessTokenVersion ?? prior?.requestedAccessTokenVersion ?? null,
    passwordCredentials: passwords, keyCredentials: certs,
    createdDateTime: prior?.createdDateTime ?? now,
    ...redirects(d, prior),
  };
}

/** Redirect URI platforms: declared ones replace the stored ones; undeclared ones are kept. */
function redirects(d: DeclaredApplication, prior: Application | undefined): Pick<Application, 'publicClient' | 'web' | 'spa'> {
  const publicClient = d.publicClient ?? prior?.publicClient;
  const web = d.web ?? prior?.web;
  const spa = d.spa ?? prior?.spa;
  return { ...(publicClient ? { publicClient } : {}), ...(web ? { web } : {}), ...(spa ? { spa } : {}) };
}

/**
 * Creates or updates an application to match a declaration (matched by appId, else by display
 * name in the tenant), with its service principal in the same transaction.
 */
export async function upsertApplication(ctx: DirectoryContext, tenantId: string, d: DeclaredApplication): Promise<Application> {
  const appId = d.appId ? d.appId.toLowerCase() : await appIdForName(ctx, tenantId, d.displayName);
  const { doc } = await updateDocument<Application>(ctx.store, KIND.application, appId, (prior) => applyDeclaration(prior, appId, tenantId, d), {
    parent: (a) => a.tenantId,
    alsoWrite: async (tx, app, prior) => {
      const sp: ServicePrincipal = { id: randomUUID(), appId, tenantId, displayName: app.displayName, servicePrincipalType: 'Application', alternativeNames: [] };
      await tx.insertIfAbsent(KIND.servicePrincipal, appId, sp, tenantId);
      await claimName(tx, app, prior);
    },
  });
  await Promise.all([ctx.refresh(KIND.application, appId), ctx.refresh(KIND.servicePrincipal, appId)]);
  return doc!;
}

/**
 * Changes an application as stored now (compare-and-swap, so two nodes adding a secret at once
 * both keep theirs). `change` returns undefined to leave it unchanged.
 */
export async function changeApplication(ctx: DirectoryContext, appId: string, change: (app: Application) => Application | undefined): Promise<UpdateResult<Application>> {
  const result = await updateDocument<Application>(ctx.store, KIND.application, appId, (prior) => {
    if (!prior) throw new Error(`no application ${appId}`);
    return change(prior);
  }, {
    parent: (a) => a.tenantId,
    alsoWrite: async (tx, app, prior) => {
      if (prior && prior.displayName !== app.displayName) await claimName(tx, app, prior);
    },
  });
  await ctx.refresh(KIND.application, appId);
  return result;
}

/** Deletes an application with its service principal and name claim, in one transaction. */
export async function deleteApplication(ctx: DirectoryContext, app: Application): Promise<boolean> {
  const deleted = await ctx.store.transaction(async (tx) => {
    const stored = await tx.get<Application>(KIND.application, app.appId);
    if (stored) await dropNameClaim(tx, stored);
    await tx.delete(KIND.servicePrincipal, app.appId);
    return tx.delete(KIND.application, app.appId);
  });
  await Promise.all([ctx.refresh(KIND.application, app.appId), ctx.refresh(KIND.servicePrincipal, app.appId)]);
  return deleted;
}
