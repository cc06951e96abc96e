import { AccessConfiguration } from './AccessConfiguration.tsx';
import { AccessPolicies } from './AccessPolicies.tsx';
import { DeletedSecrets } from './DeletedSecrets.tsx';
import { SecretVersion } from './SecretVersion.tsx';
import { SecretVersions } from './SecretVersions.tsx';
import { VaultOverview } from './VaultOverview.tsx';
import { VaultSecrets } from './VaultSecrets.tsx';

/** `#/resource/{vault id}/{page}[/{secret}[/{version}]]` → the vault's blade. */
export function VaultBlade({ id, route }: { id: string; route: string[] }) {
  const [page, name, version] = route;
  if (page === 'secrets' && name && version) return <SecretVersion key={`${name}/${version}`} id={id} name={name} version={version} />;
  if (page === 'secrets' && name) return <SecretVersions key={name} id={id} name={name} />;
  if (page === 'secrets') return <VaultSecrets id={id} />;
  if (page === 'deleted-secrets') return <DeletedSecrets id={id} />;
  if (page === 'access-policies') return <AccessPolicies id={id} />;
  if (page === 'access-configuration') return <AccessConfiguration id={id} />;
  return <VaultOverview id={id} />;
}
