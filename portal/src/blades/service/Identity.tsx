import { Button, Field, Input, Select, Spinner, Switch, Tab, TabList, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { listIdentities } from '../../api/identities.ts';
import { getService, patchService, type ManagedIdentity } from '../../api/service.ts';
import { CopyField } from '../../shell/CopyField.tsx';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { useSession } from '../../shell/context.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { ResourceFrame } from './ResourceFrame.tsx';

const hasSystem = (i: ManagedIdentity | null | undefined) => /SystemAssigned/i.test(i?.type ?? '');

/**
 * System assigned (Status On/Off + Save) and User assigned (Add / Remove). These resources hold one
 * managed identity at a time, as Azure allows, so turning one on replaces the other.
 */
export function Identity({ id }: { id: string }) {
  const session = useSession();
  const r = useLoad(() => getService(session, id), [id]);
  // The subscription's user-assigned identities to pick from (without read access: type the id).
  const identities = useLoad(() => listIdentities(session, session.config.subscriptionId).catch(() => []), []);
  const [tab, setTab] = useState<'system' | 'user'>('system');
  const [on, setOn] = useState(false);
  const [adding, setAdding] = useState(false);
  const [uaId, setUaId] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>();
  const identity = r.data?.identity;
  useEffect(() => setOn(hasSystem(identity)), [identity]);
  const users = Object.entries(identity?.userAssignedIdentities ?? {});
  const save = async (next: ManagedIdentity) => {
    setSaving(true);
    setError(undefined);
    try {
      await patchService(session, id, { identity: next });
      setAdding(false);
      setUaId('');
      r.reload();
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };
  return (
    <ResourceFrame id={id} page="identity">
      <TabList selectedValue={tab} onTabSelect={(_, d) => setTab(d.value as 'system' | 'user')} aria-label="Identity kind">
        <Tab value="system">System assigned</Tab>
        <Tab value="user">User assigned</Tab>
      </TabList>
      <ErrorBar error={r.error ?? error} />
      {r.loading && <Spinner label="Loading" />}
      {r.data && tab === 'system' && (
        <section aria-label="System assigned" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
          <p style={{ margin: 0 }}>A system assigned managed identity is tied to this resource and deleted with it. This resource can have only one managed identity: turning this on replaces a user assigned one.</p>
          <Switch label={`Status: ${on ? 'On' : 'Off'}`} checked={on} onChange={(_, d) => setOn(d.checked)} data-testid="system-status" />
          <div><Button appearance="primary" disabled={saving || on === hasSystem(identity)} onClick={() => void save({ type: on ? 'SystemAssigned' : 'None' })}>Save</Button></div>
          {hasSystem(identity) && identity?.principalId && <CopyField label="Object (principal) ID" value={identity.principalId} testId="principal-id" />}
        </section>
      )}
      {r.data && tab === 'user' && (
        <section aria-label="User assigned" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
          <p style={{ margin: 0 }}>Only one user assigned identity can be added; adding one replaces the current identity.</p>
          <div><Button appearance="primary" disabled={adding || users.length > 0} onClick={() => setAdding(true)}>Add</Button></div>
          {adding && (
            <form aria-label="Add user assigned managed identity" onSubmit={(e) => { e.preventDefault(); void save({ type: 'UserAssigned', userAssignedIdentities: { [uaId.trim()]: {} } }); }} style={{ display: 'flex', flexDirection: 'column', gap: 8, maxWidth: 640 }}>
              <Field label="User assigned managed identity">
                <Select value={identities.data?.some((m) => m.id === uaId) ? uaId : ''} onChange={(_, d) => setUaId(d.value)} data-testid="user-identity-select">
                  <option value="">Select an identity</option>
                  {(identities.data ?? []).map((m) => <option key={m.id} value={m.id}>{`${m.name} (${m.id.split('/')[4] ?? ''})`}</option>)}
                </Select>
              </Field>
              <Field label="Or its resource ID" hint="/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}">
                <Input value={uaId} onChange={(_, d) => setUaId(d.value)} maxLength={400} data-testid="user-identity-id" />
              </Field>
              <div style={{ display: 'flex', gap: 8 }}><Button appearance="primary" type="submit" disabled={saving || !uaId.trim()}>Add</Button><Button onClick={() => setAdding(false)}>Cancel</Button></div>
            </form>
          )}
          {users.length > 0 && (
            <Table aria-label="User assigned identities">
              <TableHeader><TableRow><TableHeaderCell>Name</TableHeaderCell><TableHeaderCell>Client ID</TableHeaderCell><TableHeaderCell>Object (principal) ID</TableHeaderCell><TableHeaderCell><span className="visually-hidden">Actions</span></TableHeaderCell></TableRow></TableHeader>
              <TableBody>
                {users.map(([uid, v]) => (
                  <TableRow key={uid} data-testid="user-identity-row">
                    <TableCell title={uid}>{uid.split('/').pop()}</TableCell>
                    <TableCell>{v.clientId}</TableCell>
                    <TableCell>{v.principalId}</TableCell>
                    <TableCell><Button size="small" disabled={saving} onClick={() => void save({ type: 'None' })} aria-label={`Remove ${uid.split('/').pop()}`}>Remove</Button></TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </section>
      )}
    </ResourceFrame>
  );
}
