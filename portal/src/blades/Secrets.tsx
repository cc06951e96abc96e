import { Button, Field, Input, MessageBar, MessageBarBody, Select, Spinner, Tab, TabList, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useState } from 'react';
import { addPassword, getApplication, removePassword, type PasswordCredential } from '../api/directory.ts';
import { CopyField } from '../shell/CopyField.tsx';
import { ErrorBar } from '../shell/ErrorBar.tsx';
import { useSession } from '../shell/context.ts';
import { useLoad } from '../shell/useLoad.ts';
import { AppFrame } from './AppOverview.tsx';
import { Certificates } from './Certificates.tsx';

/** Azure's expiry choices for a new client secret, in months. */
const EXPIRIES = [['6', '180 days (6 months)'], ['12', '365 days (12 months)'], ['18', '545 days (18 months)'], ['24', '730 days (24 months)']] as const;

export function Secrets({ id }: { id: string }) {
  const session = useSession();
  const app = useLoad(() => getApplication(session, id), [id]);
  const [adding, setAdding] = useState(false);
  const [description, setDescription] = useState('');
  const [months, setMonths] = useState('6');
  // The new secret's value lives only in this component's state: leaving the page forgets it, as Azure's portal does.
  const [created, setCreated] = useState<PasswordCredential>();
  const [error, setError] = useState<unknown>();
  const [tab, setTab] = useState<'certificates' | 'secrets'>('secrets');
  const add = async () => {
    setError(undefined);
    const end = new Date();
    end.setMonth(end.getMonth() + Number(months));
    try {
      setCreated(await addPassword(session, id, description.trim(), end.toISOString()));
      setAdding(false);
      setDescription('');
      app.reload();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (keyId: string) => {
    setError(undefined);
    try {
      await removePassword(session, id, keyId);
      if (created?.keyId === keyId) setCreated(undefined);
      app.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <AppFrame id={id} page="secrets" app={app.data}>
      <TabList selectedValue={tab} onTabSelect={(_, d) => setTab(d.value as 'certificates' | 'secrets')} aria-label="Credential kinds">
        <Tab value="certificates">{`Certificates (${app.data?.keyCredentials?.length ?? 0})`}</Tab>
        <Tab value="secrets">{`Client secrets (${app.data?.passwordCredentials.length ?? 0})`}</Tab>
      </TabList>
      {tab === 'certificates' && <><ErrorBar error={app.error} /><Certificates id={id} app={app.data} loading={app.loading} reload={app.reload} /></>}
      {tab === 'secrets' && <>
      <h2 style={{ margin: 0, fontSize: 18 }}>Client secrets</h2>
      <p style={{ margin: 0 }}>A secret string that the application uses to prove its identity when requesting a token. Also can be referred to as application password.</p>
      <div><Button appearance="primary" onClick={() => setAdding(true)} disabled={adding}>New client secret</Button></div>
      {adding && (
        <form aria-label="Add a client secret" onSubmit={(e) => { e.preventDefault(); void add(); }} style={{ display: 'flex', flexDirection: 'column', gap: 8, maxWidth: 420, padding: 12, border: '1px solid #ddd' }}>
          <Field label="Description"><Input value={description} onChange={(_, d) => setDescription(d.value)} maxLength={120} data-testid="secret-description" /></Field>
          <Field label="Expires">
            <Select value={months} onChange={(_, d) => setMonths(d.value)}>
              {EXPIRIES.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
            </Select>
          </Field>
          <div style={{ display: 'flex', gap: 8 }}><Button appearance="primary" type="submit">Add</Button><Button onClick={() => setAdding(false)}>Cancel</Button></div>
        </form>
      )}
      <ErrorBar error={app.error ?? error} />
      {created?.secretText && (
        <MessageBar intent="warning">
          <MessageBarBody>Copy the new client secret value. You won't be able to retrieve it after you perform another operation or leave this blade.</MessageBarBody>
        </MessageBar>
      )}
      {created?.secretText && <CopyField label={`Value of "${created.displayName ?? ''}"`} value={created.secretText} testId="secret-value" />}
      {app.loading && <Spinner label="Loading" />}
      {app.data && (
        <Table aria-label="Client secrets">
          <TableHeader><TableRow><TableHeaderCell>Description</TableHeaderCell><TableHeaderCell>Expires</TableHeaderCell><TableHeaderCell>Value</TableHeaderCell><TableHeaderCell>Secret ID</TableHeaderCell><TableHeaderCell><span className="visually-hidden">Actions</span></TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {app.data.passwordCredentials.map((p) => (
              <TableRow key={p.keyId} data-testid="secret-row">
                <TableCell>{p.displayName}</TableCell>
                <TableCell>{p.endDateTime.slice(0, 10)}</TableCell>
                <TableCell>{p.hint ? `${p.hint}*************` : ''}</TableCell>
                <TableCell>{p.keyId}</TableCell>
                <TableCell><Button size="small" onClick={() => void remove(p.keyId)} aria-label={`Delete client secret ${p.displayName ?? p.keyId}`}>Delete</Button></TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      </>}
    </AppFrame>
  );
}
