import { Button, Link, MessageBar, MessageBarActions, MessageBarBody, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useState } from 'react';
import { secretIdParts } from '../../api/vault.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { go, href } from '../../shell/router.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { SecretForm, when } from './SecretForm.tsx';
import { PolicyModelNote } from './PolicyModelNote.tsx';
import { VaultFrame, useVault } from './VaultFrame.tsx';

function SecretList() {
  const { vault, data } = useVault();
  const list = useLoad(async () => (data ? data.listSecrets() : []), [data]);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const remove = async (name: string) => {
    setError(undefined);
    setDeleting(undefined);
    try {
      await data!.deleteSecret(name);
      setDone(`The secret ${name} was deleted. It can be recovered from Manage deleted secrets until it is purged.`);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <PolicyModelNote vault={vault} />
      <div role="toolbar" aria-label="Secrets commands" style={{ display: 'flex', gap: 8 }}>
        <Button appearance="primary" onClick={() => { setCreating(true); setDone(undefined); }} disabled={creating || !data}>+ Generate/Import</Button>
        <Button onClick={() => list.reload()}>Refresh</Button>
        <Button onClick={() => go('resource', vault.id, 'deleted-secrets')}>Manage deleted secrets</Button>
      </div>
      {creating && data && (
        <SecretForm onCancel={() => setCreating(false)} onCreate={async (name, s) => {
          await data.setSecret(name, s);
          setCreating(false);
          setDone(`The secret ${name} was created.`);
          list.reload();
        }} />
      )}
      {done && <MessageBar intent="success"><MessageBarBody>{done}</MessageBarBody></MessageBar>}
      <ErrorBar error={list.error ?? error} />
      {deleting && (
        <MessageBar intent="warning" data-testid="confirm-delete">
          <MessageBarBody>Delete the secret {deleting}? It is soft-deleted: recoverable from Manage deleted secrets until it is purged.</MessageBarBody>
          <MessageBarActions>
            <Button onClick={() => void remove(deleting)}>Yes</Button>
            <Button onClick={() => setDeleting(undefined)}>No</Button>
          </MessageBarActions>
        </MessageBar>
      )}
      {list.loading && <Spinner label="Loading secrets" />}
      {list.data && (
        <Table aria-label="Secrets">
          <TableHeader><TableRow><TableHeaderCell>Name</TableHeaderCell><TableHeaderCell>Type</TableHeaderCell><TableHeaderCell>Status</TableHeaderCell><TableHeaderCell>Expiration date</TableHeaderCell><TableHeaderCell><span className="visually-hidden">Actions</span></TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {list.data.length === 0 && <TableRow><TableCell>There are no secrets available.</TableCell><TableCell /><TableCell /><TableCell /><TableCell /></TableRow>}
            {list.data.map((s) => {
              const { name } = secretIdParts(s.id);
              return (
                <TableRow key={s.id} data-testid="secret-row">
                  <TableCell><Link href={href('resource', vault.id, 'secrets', name)}>{name}</Link></TableCell>
                  <TableCell>{s.contentType ?? ''}</TableCell>
                  <TableCell>{s.attributes.enabled === false ? 'Disabled' : 'Enabled'}</TableCell>
                  <TableCell>{when(s.attributes.exp)}</TableCell>
                  <TableCell><Button size="small" onClick={() => setDeleting(name)} aria-label={`Delete ${name}`}>Delete</Button></TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
    </>
  );
}

/** Objects → Secrets: the list (metadata only), Generate/Import, Delete (soft), and the way to deleted secrets. */
export function VaultSecrets({ id }: { id: string }) {
  return <VaultFrame id={id} page="secrets"><SecretList /></VaultFrame>;
}
