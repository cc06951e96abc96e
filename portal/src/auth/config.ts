/** What Lapis tells the portal at /portal/config.json (nothing secret). */
export interface PortalConfig {
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  authorityHost: string;
  portalUrl: string;
}

export async function loadConfig(): Promise<PortalConfig> {
  const res = await fetch('./config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`The portal configuration could not be loaded (HTTP ${res.status}).`);
  return await res.json() as PortalConfig;
}
