import { CopyField } from '../../shell/CopyField.tsx';
import { VaultFrame, useVault } from './VaultFrame.tsx';

function Essentials() {
  const { vault } = useVault();
  const p = vault.properties;
  const rg = /\/resourceGroups\/([^/]+)/i.exec(vault.id)?.[1] ?? '';
  return (
    <section aria-label="Essentials" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      <CopyField label="Vault URI" value={p.vaultUri ?? ''} testId="vault-uri" />
      <CopyField label="Resource group" value={rg} testId="resource-group" />
      <CopyField label="Location" value={vault.location} testId="location" />
      <CopyField label="Directory ID" value={p.tenantId} testId="tenant-id" />
      <CopyField label="Pricing tier" value={p.sku?.name === 'premium' ? 'Premium' : 'Standard'} testId="sku" />
      <CopyField label="Permission model" value={p.enableRbacAuthorization ? 'Azure role-based access control' : 'Vault access policy'} testId="permission-model" />
      <CopyField label="Soft-delete" value={`Enabled (${p.softDeleteRetentionInDays ?? 90} days retention)`} testId="soft-delete" />
      <CopyField label="Resource ID" value={vault.id} testId="resource-id" />
    </section>
  );
}

/** Essentials, Vault URI first (what SecretClient and Key Vault references use). */
export function VaultOverview({ id }: { id: string }) {
  return <VaultFrame id={id} page="overview"><Essentials /></VaultFrame>;
}
