import { Link, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { listAssignments, listServiceResources, listSubscriptions } from '../../api/access.ts';
import { arm } from '../../api/http.ts';
import { listIdentities } from '../../api/identities.ts';
import type { Session } from '../../auth/session.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { Shell } from '../../shell/Shell.tsx';
import { useSession } from '../../shell/context.ts';
import { href } from '../../shell/router.ts';
import { useLoad } from '../../shell/useLoad.ts';

const MG_PREFIX = '/providers/Microsoft.Management/managementGroups/';

/** Management groups: the tenant root group (id = tenant id, as in Azure) and any group that holds role assignments. */
async function loadManagementGroups(session: Session): Promise<string[]> {
  const root = session.config.tenantId;
  const seen = await listAssignments(session, `${MG_PREFIX}${root}`).catch(() => []);
  const ids = new Set([root, ...seen.map((a) => a.properties.scope).filter((s) => s.toLowerCase().startsWith(MG_PREFIX.toLowerCase())).map((s) => s.slice(MG_PREFIX.length))]);
  return [...ids];
}

export function ManagementGroups() {
  const session = useSession();
  const groups = useLoad(() => loadManagementGroups(session), []);
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'Management groups' }]} title="Management groups" active="managementgroups">
      <ErrorBar error={groups.error} />
      {groups.loading && <Spinner label="Loading management groups" />}
      {groups.data && (
        <Table aria-label="Management groups">
          <TableHeader><TableRow><TableHeaderCell>Name</TableHeaderCell><TableHeaderCell>ID</TableHeaderCell><TableHeaderCell><span className="visually-hidden">Access control</span></TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {groups.data.map((g) => {
              const name = g.toLowerCase() === session.config.tenantId.toLowerCase() ? 'Tenant Root Group' : g;
              return (
                <TableRow key={g} data-testid="management-group-row">
                  <TableCell>{name}</TableCell>
                  <TableCell>{g}</TableCell>
                  <TableCell><Link href={href('iam', `${MG_PREFIX}${g}`)} aria-label={`${name}: Access control (IAM)`}>Access control (IAM)</Link></TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
    </Shell>
  );
}

export function Subscriptions() {
  const session = useSession();
  const subs = useLoad(() => listSubscriptions(session), []);
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'Subscriptions' }]} title="Subscriptions" active="subscriptions">
      <ErrorBar error={subs.error} />
      {subs.loading && <Spinner label="Loading subscriptions" />}
      {subs.data && (
        <Table aria-label="Subscriptions">
          <TableHeader><TableRow><TableHeaderCell>Subscription name</TableHeaderCell><TableHeaderCell>Subscription ID</TableHeaderCell><TableHeaderCell>State</TableHeaderCell><TableHeaderCell><span className="visually-hidden">Access control</span></TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {subs.data.map((s) => (
              <TableRow key={s.id} data-testid="subscription-row">
                <TableCell>{s.displayName}</TableCell>
                <TableCell>{s.subscriptionId}</TableCell>
                <TableCell>{s.state}</TableCell>
                <TableCell><Link href={href('iam', s.id)} aria-label={`${s.displayName}: Access control (IAM)`}>Access control (IAM)</Link></TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Shell>
  );
}

const rgOf = (id: string) => /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)/i.exec(id);

/**
 * Resource groups exist implicitly in Lapis (no resource group API): the ones that hold a resource the
 * user can list (Web PubSub, SignalR, Key Vault, user-assigned identities) or a role assignment.
 */
async function loadResourceGroups(session: Session): Promise<{ name: string; subscriptionId: string; resources: number }[]> {
  const sub = session.config.subscriptionId;
  const [services, identities, vaults, assignments] = await Promise.all([
    listServiceResources(session, sub).catch(() => []),
    listIdentities(session, sub).catch(() => []),
    arm<{ value: { id: string }[] }>(session, 'GET', `/subscriptions/${sub}/providers/Microsoft.KeyVault/vaults`, '2023-07-01').then((r) => r.value).catch(() => []),
    listAssignments(session, `/subscriptions/${sub}`).catch(() => []),
  ]);
  const groups = new Map<string, { name: string; subscriptionId: string; resources: number }>();
  const add = (id: string, isResource: boolean) => {
    const m = rgOf(id);
    if (!m) return;
    const key = `${m[1]!}/${m[2]!}`.toLowerCase();
    const g = groups.get(key) ?? { name: m[2]!, subscriptionId: m[1]!, resources: 0 };
    if (isResource) g.resources++;
    groups.set(key, g);
  };
  for (const r of [...services, ...identities, ...vaults]) add(r.id, true);
  for (const a of assignments) add(a.properties.scope, false);
  return [...groups.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function ResourceGroups() {
  const session = useSession();
  const groups = useLoad(() => loadResourceGroups(session), []);
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'Resource groups' }]} title="Resource groups" active="resourcegroups">
      <ErrorBar error={groups.error} />
      {groups.loading && <Spinner label="Loading resource groups" />}
      {groups.data && (
        <Table aria-label="Resource groups">
          <TableHeader><TableRow><TableHeaderCell>Name</TableHeaderCell><TableHeaderCell>Subscription</TableHeaderCell><TableHeaderCell>Resources</TableHeaderCell><TableHeaderCell><span className="visually-hidden">Access control</span></TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {groups.data.map((g) => (
              <TableRow key={`${g.subscriptionId}/${g.name}`} data-testid="resource-group-row">
                <TableCell>{g.name}</TableCell>
                <TableCell>{g.subscriptionId}</TableCell>
                <TableCell>{g.resources}</TableCell>
                <TableCell><Link href={href('iam', `/subscriptions/${g.subscriptionId}/resourceGroups/${g.name}`)} aria-label={`${g.name}: Access control (IAM)`}>Access control (IAM)</Link></TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {groups.data?.length === 0 && <p style={{ margin: 0 }}>No resource groups to display.</p>}
    </Shell>
  );
}
