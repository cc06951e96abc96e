import { Button, Field, Input, Link, Select, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useState } from 'react';
import { createIdentity, identityId, listIdentities } from '../../api/identities.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { Shell } from '../../shell/Shell.tsx';
import { useSession } from '../../shell/context.ts';
import { go, href } from '../../shell/router.ts';
import { useLoad } from '../../shell/useLoad.ts';

export const resourceGroupName = (id: string) => /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? '';
const NAME = /^[A-Za-z0-9][-\w]{2,127}$/;
/** A few of Azure's region names; Lapis runs wherever it runs, the region is a label. */
export const REGIONS = ['eastus', 'eastus2', 'westus2', 'westus3', 'centralus', 'northeurope', 'westeurope', 'uksouth', 'japaneast', 'australiaeast', 'local'];

/** Managed Identities: the user-assigned identities of the subscription, and Create. */
export function ManagedIdentities() {
  const session = useSession();
  const sub = session.config.subscriptionId;
  const list = useLoad(() => listIdentities(session, sub), [sub]);
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'Managed Identities' }]} title="Managed Identities" active="identities">
      <div><Button appearance="primary" onClick={() => go('identities', 'new')}>Create</Button></div>
      <ErrorBar error={list.error} />
      {list.loading && <Spinner label="Loading managed identities" />}
      {list.data && (
        <Table aria-label="Managed identities">
          <TableHeader><TableRow><TableHeaderCell>Name</TableHeaderCell><TableHeaderCell>Resource group</TableHeaderCell><TableHeaderCell>Location</TableHeaderCell><TableHeaderCell>Client ID</TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {list.data.map((m) => (
              <TableRow key={m.id} data-testid="identity-row">
                <TableCell><Link href={href('identity', m.id)}>{m.name}</Link></TableCell>
                <TableCell>{resourceGroupName(m.id)}</TableCell>
                <TableCell>{m.location}</TableCell>
                <TableCell>{m.properties.clientId}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {list.data?.length === 0 && <p style={{ margin: 0 }}>No user assigned managed identities to display.</p>}
    </Shell>
  );
}

/** Create User Assigned Managed Identity: Basics (subscription, resource group, region, name) → Review + create. */
export function CreateIdentity() {
  const session = useSession();
  const [rg, setRg] = useState('');
  const [region, setRegion] = useState('eastus');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const validName = NAME.test(name.trim());
  const validRg = /^[-\w._()]{1,90}$/.test(rg.trim());
  const create = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const m = await createIdentity(session, identityId(session.config.subscriptionId, rg.trim(), name.trim()), region);
      go('identity', m.id);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'Managed Identities', to: href('identities') }, { label: 'Create User Assigned Managed Identity' }]} title="Create User Assigned Managed Identity" active="identities">
      <form aria-label="Basics" onSubmit={(e) => { e.preventDefault(); void create(); }} style={{ display: 'flex', flexDirection: 'column', gap: 12, maxWidth: 480 }}>
        <h2 style={{ margin: 0, fontSize: 18 }}>Project details</h2>
        <Field label="Subscription"><Input readOnly value={session.config.subscriptionId} /></Field>
        <Field label="Resource group" required validationMessage={rg && !validRg ? 'Letters, digits, - _ . ( ), at most 90' : undefined}>
          <Input value={rg} onChange={(_, d) => setRg(d.value)} maxLength={90} data-testid="identity-rg" />
        </Field>
        <h2 style={{ margin: 0, fontSize: 18 }}>Instance details</h2>
        <Field label="Region" required>
          <Select value={region} onChange={(_, d) => setRegion(d.value)}>{REGIONS.map((r) => <option key={r} value={r}>{r}</option>)}</Select>
        </Field>
        <Field label="Name" required validationMessage={name && !validName ? '3–128 letters, digits, hyphens or underscores, starting with a letter or digit' : undefined}>
          <Input value={name} onChange={(_, d) => setName(d.value)} maxLength={128} data-testid="identity-name" />
        </Field>
        <ErrorBar error={error} />
        <div style={{ display: 'flex', gap: 8 }}>
          <Button appearance="primary" type="submit" disabled={busy || !validName || !validRg}>Review + create</Button>
          <Button onClick={() => go('identities')}>Cancel</Button>
        </div>
      </form>
    </Shell>
  );
}
