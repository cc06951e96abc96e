import { ActivityLog, ResourceActivityLog } from '../blades/ActivityLog.tsx';
import { AppOverview } from '../blades/AppOverview.tsx';
import { AppRegistrations, NewRegistration } from '../blades/AppRegistrations.tsx';
import { Home } from '../blades/Home.tsx';
import { Iam } from '../blades/Iam.tsx';
import { CreateIdentity, IdentityOverview, ManagedIdentities } from '../blades/identities/index.ts';
import { ManagementGroups, ResourceGroups, Subscriptions } from '../blades/scopes/index.ts';
import { Resources } from '../blades/Resources.tsx';
import { Secrets } from '../blades/Secrets.tsx';
import { Explorer, Identity, Keys, ServiceOverview, Settings } from '../blades/service/index.ts';
import { LiveTrace, Upstream } from '../blades/service/index.ts';
import { Users } from '../blades/Users.tsx';
import { UserOverview } from '../blades/UserOverview.tsx';
import { DenialList, Denied } from '../blades/denied/index.ts';
import { KeyVaults, VaultBlade } from '../blades/vault/index.ts';
import { isVault } from '../api/vault.ts';
import { Shell } from './Shell.tsx';
import { href, useRoute } from './router.ts';

/** Picks the blade for the hash route; each blade loads its own data with the user's token. */
export function App() {
  const r = useRoute();
  const [a, b, c, d] = r;
  if (a === 'entra' && b === 'apps' && c === 'new') return <NewRegistration />;
  if (a === 'entra' && b === 'apps' && c && d === 'secrets') return <Secrets key={c} id={c} />;
  if (a === 'entra' && b === 'apps' && c) return <AppOverview key={c} id={c} />;
  if (a === 'entra' && b === 'apps') return <AppRegistrations />;
  if (a === 'entra' && b === 'users' && c) return <UserOverview key={c} id={c} />;
  if (a === 'entra' && b === 'users') return <Users />;
  if (a === 'resources') return <Resources />;
  if (a === 'managementgroups') return <ManagementGroups />;
  if (a === 'subscriptions') return <Subscriptions />;
  if (a === 'resourcegroups') return <ResourceGroups />;
  if (a === 'identities' && b === 'new') return <CreateIdentity />;
  if (a === 'identities') return <ManagedIdentities />;
  if (a === 'identity' && b) return <IdentityOverview key={b} id={b} />;
  if (a === 'vaults') return <KeyVaults />;
  if (a === 'resource' && b && isVault(b)) return <VaultBlade key={r.join('/')} id={b} route={r.slice(2)} />;
  if (a === 'resource' && b && c === 'keys') return <Keys key={b} id={b} />;
  if (a === 'resource' && b && c === 'identity') return <Identity key={b} id={b} />;
  if (a === 'resource' && b && c === 'explorer') return <Explorer key={b} id={b} />;
  if (a === 'resource' && b && c === 'activity') return <ResourceActivityLog key={b} id={b} />;
  if (a === 'activity') return <ActivityLog />;
  if (a === 'resource' && b && c === 'settings') return <Settings key={b} id={b} />;
  if (a === 'resource' && b && c === 'denials') return <DenialList key={b} id={b} />;
  if (a === 'denied' && b) return <Denied key={b} id={b} />;
  if (a === 'resource' && b && c === 'livetrace') return <LiveTrace key={b} id={b} />;
  if (a === 'resource' && b && c === 'upstream') return <Upstream key={b} id={b} callId={d} />;
  if (a === 'resource' && b) return <ServiceOverview key={b} id={b} />;
  // `#/iam/{scope}/check/{principalId}/{action}`: Check access prefilled (the error bar's "Why?" link).
  if (a === 'iam' && b && c === 'check') return <Iam key={`${b}/check/${d ?? ''}/${r[4] ?? ''}`} scope={b} check={{ principalId: d, operation: r[4], kind: 'action' }} />;
  if (a === 'iam' && b) return <Iam key={b} scope={b} />;
  if (a === undefined) return <Home />;
  return <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'Not found' }]} title="Not found" active=""><p>There is no blade at this address.</p></Shell>;
}
