import { Button, Link, MessageBar, MessageBarBody, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useState } from 'react';
import { secretIdParts, type SecretItem } from '../../api/vault.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { href } from '../../shell/router.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { SecretForm, when } from './SecretForm.tsx';
import { VaultFrame, useVault } from './VaultFrame.tsx';

function Row({ s, name }: { s: SecretItem; name: string }) {
  const { vault } = useVault();
  const version = secretIdParts(s.id).version ?? '';
  return (
    <TableRow data-testid="version-row">
      <TableCell><Link href={href('resource', vault.id, 'secrets', name, version)}>{version}</Link></TableCell>
      <TableCell>{s.attributes.enabled === false ? 'Disabled' : 'Enabled'}</TableCell>
      <TableCell>{when(s.attributes.nbf)}</TableCell>
      <TableCell>{when(s.attributes.exp)}</TableCell>
    </TableRow>
  );
}

function Versions({ name }: { name: string }) {
  const { vault, data } = useVault();
  const versions = useLoad(async () => (data ? data.listVersions(name) : []), [data, name]);
  const [creating, setCreating] = useState(false);
  const [done, setDone] = useState(false);
  // The newest version is the current one (what GET /secrets/{name} answers).
  const sorted = [...versions.data ?? []].sort((a, b) => (b.attributes.created ?? 0) - (a.attributes.created ?? 0));
  const header = <TableHeader><TableRow><TableHeaderCell>Version</TableHeaderCell><TableHeaderCell>Status</TableHeaderCell><TableHeaderCell>Activation date</TableHeaderCell><TableHeaderCell>Expiration date</TableHeaderCell></TableRow></TableHeader>;
  return (
    <>
      <div role="toolbar" aria-label="Secret commands" style={{ display: 'flex', gap: 8 }}>
        <Button appearance="primary" onClick={() => { setCreating(true); setDone(false); }} disabled={creating || !data}>+ New version</Button>
        <Button onClick={() => versions.reload()}>Refresh</Button>
      </div>
      {creating && data && (
        <SecretForm fixedName={name} onCancel={() => setCreating(false)} onCreate={async (_, s) => {
          await data.setSecret(name, s);
          setCreating(false);
          setDone(true);
          versions.reload();
        }} />
      )}
      {done && <MessageBar intent="success"><MessageBarBody>A new version of {name} was created; it is now the current version.</MessageBarBody></MessageBar>}
      <ErrorBar error={versions.error} />
      {versions.loading && <Spinner label="Loading versions" />}
      {versions.data && (
        <>
          <h2 style={{ margin: 0, fontSize: 16 }}>Current version</h2>
          <Table aria-label="Current version">{header}<TableBody>{sorted.slice(0, 1).map((s) => <Row key={s.id} s={s} name={name} />)}</TableBody></Table>
          <h2 style={{ margin: 0, fontSize: 16 }}>Older versions</h2>
          <Table aria-label="Older versions">{header}<TableBody>{sorted.slice(1).map((s) => <Row key={s.id} s={s} name={name} />)}</TableBody></Table>
        </>
      )}
      <p style={{ margin: 0 }}>Back to <Link href={href('resource', vault.id, 'secrets')}>Secrets</Link></p>
    </>
  );
}

/** One secret: its versions (current first), and + New version. */
export function SecretVersions({ id, name }: { id: string; name: string }) {
  return <VaultFrame id={id} page="secrets" more={[{ label: name }]}><Versions name={name} /></VaultFrame>;
}
