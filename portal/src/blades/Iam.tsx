import { Button, Spinner, Tab, TabList, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useState } from 'react';
import { deleteAssignment, isInherited, listAssignments, listRoles } from '../api/access.ts';
import { listServicePrincipals, listUsers } from '../api/directory.ts';
import { listIdentities } from '../api/identities.ts';
import { ErrorBar } from '../shell/ErrorBar.tsx';
import { Shell } from '../shell/Shell.tsx';
import { useSession } from '../shell/context.ts';
import { useLoad } from '../shell/useLoad.ts';
import { AddRoleAssignment, type Principal } from './AddRoleAssignment.tsx';
import { CheckAccess, type CheckPrefill } from './check/index.ts';
import { Roles } from './roles/Roles.tsx';
import { inheritedLabel, scopeCrumbs, scopeName, scopeNav } from './scopes/index.ts';

type IamTab = 'assignments' | 'check' | 'roles';

const lastSegment = (id: string) => id.split('/').pop()?.toLowerCase() ?? '';

/** The principals the signed-in user may see (Graph; a non-administrator gets none and sees object ids). */
export async function loadPrincipals(session: ReturnType<typeof useSession>): Promise<Principal[]> {
  const [users, sps, uamis] = await Promise.all([listUsers(session).catch(() => []), listServicePrincipals(session).catch(() => []),
    listIdentities(session, session.config.subscriptionId).catch(() => [])]);
  const out: Principal[] = [
    ...users.map((u) => ({ id: u.id, name: u.displayName, detail: u.userPrincipalName, type: 'User', kind: 'user' as const })),
    ...sps.map((s) => {
      // Graph marks a managed identity's service principal: alternativeNames `isExplicit=true` (user-assigned) and its ARM id.
      const mi = s.servicePrincipalType === 'ManagedIdentity';
      const userAssigned = (s.alternativeNames ?? []).some((n) => n.toLowerCase() === 'isexplicit=true');
      const resourceId = (s.alternativeNames ?? []).find((n) => n.startsWith('/'));
      return { id: s.id, name: s.displayName, detail: mi ? resourceId ?? s.appId : s.appId, type: 'ServicePrincipal', kind: mi ? (userAssigned ? 'mi-user' as const : 'mi-system' as const) : 'app' as const };
    }),
  ];
  // ARM lists user-assigned identities to whoever may read them, also without directory read access.
  for (const m of uamis) {
    if (!out.some((p) => p.id === m.properties.principalId)) out.push({ id: m.properties.principalId, name: m.name, detail: m.id, type: 'ServicePrincipal', kind: 'mi-user' });
  }
  return out;
}

export function Iam({ scope, check }: { scope: string; check?: CheckPrefill }) {
  const session = useSession();
  // At this scope and inherited from above (atScope()), as Azure's Role assignments tab lists them.
  const assignments = useLoad(() => listAssignments(session, scope, true), [scope]);
  const roles = useLoad(() => listRoles(session, scope), [scope]);
  const principals = useLoad(() => loadPrincipals(session), []);
  const [adding, setAdding] = useState(false);
  const [tab, setTab] = useState<IamTab>(check ? 'check' : 'assignments');
  const [error, setError] = useState<unknown>();
  const name = scopeName(scope, session.config.tenantId);
  const roleName = (id: string) => roles.data?.find((r) => r.name.toLowerCase() === lastSegment(id))?.properties.roleName ?? lastSegment(id);
  const principal = (id: string) => principals.data?.find((p) => p.id === id);
  const remove = async (id: string) => {
    setError(undefined);
    try {
      await deleteAssignment(session, id);
      assignments.reload();
    } catch (err) {
      setError(err);
    }
  };
  const applying = assignments.data;
  return (
    <Shell crumbs={[...scopeCrumbs(scope, session.config.tenantId), { label: 'Access control (IAM)' }]} title={`${name} | Access control (IAM)`} active={scopeNav(scope)}>
      <p style={{ margin: 0 }} data-testid="scope">Scope: <code>{scope}</code></p>
      <TabList selectedValue={tab} onTabSelect={(_, d) => setTab(d.value as IamTab)} aria-label="Access control tabs">
        <Tab value="assignments">Role assignments</Tab>
        <Tab value="check">Check access</Tab>
        <Tab value="roles">Roles</Tab>
      </TabList>
      {tab === 'roles' && roles.data && <Roles scope={scope} roles={roles.data} reload={roles.reload} />}
      {tab === 'roles' && <ErrorBar error={roles.error} />}
      {tab === 'check' && roles.data && <CheckAccess scope={scope} roles={roles.data} principals={principals.data ?? []} prefill={check} onAssigned={() => assignments.reload()} />}
      {tab === 'check' && <ErrorBar error={roles.error} />}
      {tab === 'assignments' && <>
      <div><Button appearance="primary" onClick={() => setAdding(true)} disabled={adding}>Add role assignment</Button></div>
      {adding && roles.data && (
        <AddRoleAssignment scope={scope} roles={roles.data} principals={principals.data ?? []}
          onDone={() => { setAdding(false); assignments.reload(); }} onCancel={() => setAdding(false)} />
      )}
      <ErrorBar error={assignments.error ?? error} />
      <h2 style={{ margin: 0, fontSize: 18 }}>Role assignments</h2>
      {assignments.loading && <Spinner label="Loading role assignments" />}
      {applying && (
        <Table aria-label="Role assignments">
          <TableHeader><TableRow><TableHeaderCell>Name</TableHeaderCell><TableHeaderCell>Type</TableHeaderCell><TableHeaderCell>Role</TableHeaderCell><TableHeaderCell>Scope</TableHeaderCell><TableHeaderCell><span className="visually-hidden">Actions</span></TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {applying.map((a) => {
              const p = principal(a.properties.principalId);
              const inherited = isInherited(a.properties.scope, scope);
              return (
                <TableRow key={a.id} data-testid="assignment-row">
                  <TableCell>{p ? `${p.name} (${p.detail})` : a.properties.principalId}</TableCell>
                  <TableCell>{a.properties.principalType ?? p?.type ?? ''}</TableCell>
                  <TableCell>{roleName(a.properties.roleDefinitionId)}</TableCell>
                  <TableCell title={a.properties.scope}>{inherited ? inheritedLabel(a.properties.scope, session.config.tenantId) : 'This resource'}</TableCell>
                  <TableCell>{!inherited && <Button size="small" onClick={() => void remove(a.id)} aria-label={`Remove ${roleName(a.properties.roleDefinitionId)} for ${p?.name ?? a.properties.principalId}`}>Remove</Button>}</TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
      </>}
    </Shell>
  );
}
