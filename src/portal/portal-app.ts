import { randomUUID } from 'node:crypto';
import type { Store } from '../store/index.ts';
import type { IdentityService } from '../identity/index.ts';

const SETTINGS_KIND = 'portal.settings';
export const PORTAL_APP_NAME = 'Lapis portal';

/**
 * The portal's own app registration: a single-page app (public client, PKCE) whose redirect URI is
 * exactly `{httpsUrl}/portal/`. Its appId is claimed once per world (insert-if-absent, so nodes
 * starting together agree); the redirect URI follows this node's URL, which may change between
 * starts when ports are free-chosen.
 */
export async function ensurePortalApp(store: Store, identity: IdentityService, tenantId: string, portalUrl: string): Promise<string> {
  const mine = { appId: randomUUID() };
  await store.insertIfAbsent(SETTINGS_KIND, 'app', mine);
  const appId = (await store.get<typeof mine>(SETTINGS_KIND, 'app'))?.appId ?? mine.appId;
  const prior = identity.directory.getApplication(tenantId, appId);
  const uris = prior?.spa?.redirectUris ?? [];
  if (!prior || !uris.includes(portalUrl)) {
    await identity.directory.upsertApplication(tenantId, {
      displayName: prior?.displayName ?? PORTAL_APP_NAME, appId,
      spa: { redirectUris: [portalUrl] },
    });
  }
  return appId;
}
