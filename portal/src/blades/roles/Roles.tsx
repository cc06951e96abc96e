import { Button, Field, Input, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useState } from 'react';
import { deleteRoleDefinition, type RoleDefinition } from '../../api/access.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { useSession } from '../../shell/context.ts';
import { useMayDo } from '../../shell/usePermission.ts';
import { CustomRole } from './CustomRole.tsx';

const LISTS = [['actions', 'Actions'], ['notActions', 'NotActions'], ['dataActions', 'DataActions'], ['notDataActions', 'NotDataActions']] as const;

/** One role's permissions, as Azure's role details pane shows them. */
function RoleDetails({ role, onDelete, deleting, mayDelete }: { role: RoleDefinition; onDelete?: () => void; deleting: boolean; mayDelete: boolean }) {
  const p = role.properties;
  return (
    <section aria-label={`Role details: ${p.roleName}`} data-testid="role-details" style={{ border: '1px solid #ccc', padding: 12, display: 'flex', flexDirection: 'column', gap: 8 }}>
      <h2 style={{ margin: 0, fontSize: 18 }}>{p.roleName}</h2>
      <p style={{ margin: 0 }}>{p.description} · {p.type === 'CustomRole' ? 'Custom role' : 'Built-in role'} · ID <code>{role.name}</code></p>
      {(p.permissions ?? []).map((perm, i) => (
        <div key={i} style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(240px, 1fr))', gap: 8 }}>
          {LISTS.map(([k, label]) => (
            <div key={k}>
              <h3 style={{ margin: 0, fontSize: 14 }}>{label}</h3>
              <ul style={{ margin: 0, paddingLeft: 18 }} data-testid={`role-${k}`}>
                {perm[k].length ? perm[k].map((op) => <li key={op}><code style={{ wordBreak: 'break-all' }}>{op}</code></li>) : <li>None</li>}
              </ul>
            </div>
          ))}
        </div>
      ))}
      <div><h3 style={{ margin: 0, fontSize: 14 }}>Assignable scopes</h3><ul style={{ margin: 0, paddingLeft: 18 }}>{(p.assignableScopes ?? []).map((s) => <li key={s}><code>{s}</code></li>)}</ul></div>
      {onDelete && <div><Button disabled={deleting || !mayDelete} onClick={onDelete}>Delete custom role</Button></div>}
    </section>
  );
}

/** The Roles tab of Access control (IAM): role definitions with their permissions; add and delete custom roles. */
export function Roles({ scope, roles, reload }: { scope: string; roles: RoleDefinition[]; reload: () => void }) {
  const session = useSession();
  const [filter, setFilter] = useState('');
  const [selected, setSelected] = useState<string>();
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<unknown>();
  const mayCreate = useMayDo(scope, 'Microsoft.Authorization/roleDefinitions/write') !== false;
  const mayDelete = useMayDo(scope, 'Microsoft.Authorization/roleDefinitions/delete') !== false;
  const shown = roles.filter((r) => r.properties.roleName.toLowerCase().includes(filter.toLowerCase()))
    .sort((a, b) => a.properties.roleName.localeCompare(b.properties.roleName));
  const role = roles.find((r) => r.name === selected);
  const remove = async (r: RoleDefinition) => {
    if (!confirm(`Delete the custom role "${r.properties.roleName}"?`)) return;
    setDeleting(true);
    setError(undefined);
    try {
      await deleteRoleDefinition(session, scope, r.name);
      setSelected(undefined);
      reload();
    } catch (err) {
      setError(err);
    } finally {
      setDeleting(false);
    }
  };
  return (
    <section aria-label="Roles" style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
      <p style={{ margin: 0 }}>A role definition is a collection of permissions. You can use the built-in roles or create your own custom roles.</p>
      <div><Button appearance="primary" onClick={() => setAdding(true)} disabled={adding || !mayCreate}>Add custom role</Button></div>
      {adding && <CustomRole scope={scope} roles={roles} onDone={() => { setAdding(false); reload(); }} onCancel={() => setAdding(false)} />}
      <ErrorBar error={error} />
      <Field label="Search by role name"><Input value={filter} onChange={(_, d) => setFilter(d.value)} data-testid="roles-search" /></Field>
      {role && <RoleDetails role={role} deleting={deleting} mayDelete={mayDelete} onDelete={role.properties.type === 'CustomRole' ? () => void remove(role) : undefined} />}
      <Table aria-label="Role definitions">
        <TableHeader><TableRow><TableHeaderCell>Name</TableHeaderCell><TableHeaderCell>Description</TableHeaderCell><TableHeaderCell>Type</TableHeaderCell><TableHeaderCell><span className="visually-hidden">Details</span></TableHeaderCell></TableRow></TableHeader>
        <TableBody>
          {shown.map((r) => (
            <TableRow key={r.id} data-testid="role-row">
              <TableCell>{r.properties.roleName}</TableCell>
              <TableCell>{r.properties.description}</TableCell>
              <TableCell>{r.properties.type === 'CustomRole' ? 'CustomRole' : 'BuiltInRole'}</TableCell>
              <TableCell><Button size="small" onClick={() => setSelected(r.name)} aria-label={`View ${r.properties.roleName}`}>View</Button></TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </section>
  );
}
