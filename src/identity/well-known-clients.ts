import type { Directory } from './directory.ts';

/**
 * Microsoft's first-party public clients that people use against Entra without registering
 * anything: in Entra they exist in every tenant. Lapis registers one in the tenant the first time
 * it signs someone in (a public client, "Allow public client flows" on, loopback redirect), so
 * `az login` (browser or `--use-device-code`) works against Lapis as against Entra. Only these ids.
 */
export const WELL_KNOWN_PUBLIC_CLIENTS: Readonly<Record<string, string>> = {
  '04b07795-8ddb-461a-bbee-02f9e1bf7b46': 'Microsoft Azure CLI',
};

export async function ensureWellKnownClient(directory: Directory, tenantId: string, clientId: string): Promise<void> {
  const id = clientId.toLowerCase();
  const displayName = WELL_KNOWN_PUBLIC_CLIENTS[id];
  if (!displayName || directory.getApplication(tenantId, id)) return;
  await directory.upsertApplication(tenantId, { displayName, appId: id, isFallbackPublicClient: true, publicClient: { redirectUris: ['http://localhost'] } });
}
