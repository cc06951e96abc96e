import { Spinner, Tab, TabList } from '@fluentui/react-components';
import { createContext, useContext, type ReactNode } from 'react';
import { getVault, VaultData, type Vault } from '../../api/vault.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { Shell, type Crumb } from '../../shell/Shell.tsx';
import { useSession } from '../../shell/context.ts';
import { go, href } from '../../shell/router.ts';
import { useLoad } from '../../shell/useLoad.ts';

export type VaultPage = 'overview' | 'iam' | 'access-policies' | 'secrets' | 'access-configuration';

/** Azure's Key vault menu, in its order (Overview, Access control (IAM), Access policies, Objects → Secrets, Settings → Access configuration). */
const PAGES: [VaultPage, string][] = [
  ['overview', 'Overview'], ['iam', 'Access control (IAM)'], ['access-policies', 'Access policies'], ['secrets', 'Secrets'], ['access-configuration', 'Access configuration'],
];

export const vaultName = (id: string) => id.split('/').pop() ?? id;

interface Loaded { vault: Vault; data: VaultData | undefined; reload: () => void }
const VaultContext = createContext<Loaded | undefined>(undefined);

/** The vault (ARM) and its data plane at its own origin, for the page inside the frame. */
export function useVault(): Loaded {
  const v = useContext(VaultContext);
  if (!v) throw new Error('outside a vault frame');
  return v;
}

/**
 * The frame of one Key vault's blades: breadcrumb, the resource menu, and the vault read through
 * ARM (its pages need vaultUri for the data plane). `more` adds crumbs below the page (a secret, a version).
 */
export function VaultFrame({ id, page, more = [], children }: { id: string; page: VaultPage; more?: Crumb[]; children: ReactNode }) {
  const session = useSession();
  const vault = useLoad(() => getVault(session, id), [id]);
  const name = vaultName(id);
  const pageTitle = PAGES.find(([p]) => p === page)?.[1] ?? '';
  const open = (p: string) => (p === 'iam' ? (location.hash = href('iam', id)) : go('resource', id, p));
  const uri = vault.data?.properties.vaultUri;
  const crumbs: Crumb[] = [
    { label: 'Home', to: href() }, { label: 'Key vaults', to: href('vaults') }, { label: name, to: href('resource', id, 'overview') },
    ...more.length ? [{ label: pageTitle, to: href('resource', id, page) }, ...more] : [{ label: pageTitle }],
  ];
  return (
    <Shell crumbs={crumbs} title={`${name} | ${more.at(-1)?.label ?? pageTitle}`} active="vaults">
      <p style={{ margin: 0 }}>Key vault</p>
      <div style={{ display: 'flex', gap: 16, alignItems: 'flex-start' }}>
        <TabList vertical selectedValue={page} onTabSelect={(_, d) => open(String(d.value))} aria-label="Resource menu">
          {PAGES.map(([p, label]) => <Tab key={p} value={p}>{label}</Tab>)}
        </TabList>
        <div style={{ display: 'flex', flexDirection: 'column', gap: 12, minWidth: 0, flex: 1 }}>
          <ErrorBar error={vault.error} />
          {vault.loading && !vault.data && <Spinner label="Loading the key vault" />}
          {vault.data && (
            <VaultContext.Provider value={{ vault: vault.data, data: uri ? new VaultData(session, uri) : undefined, reload: vault.reload }}>
              {children}
            </VaultContext.Provider>
          )}
        </div>
      </div>
    </Shell>
  );
}
