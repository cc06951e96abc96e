import { Button, Link, MessageBar, MessageBarActions, MessageBarBody, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useState } from 'react';
import { secretIdParts } from '../../api/vault.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { href } from '../../shell/router.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { when } from './SecretForm.tsx';
import { VaultFrame, useVault } from './VaultFrame.tsx';

function Deleted() {
  const { vault, data } = useVault();
  const list = useLoad(async () => (data ? data.listDeleted() : []), [data]);
  const [purging, setPurging] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const act = async (name: string, what: 'recover' | 'purge') => {
    setError(undefined);
    setDone(undefined);
    setPurging(undefined);
    try {
      if (what === 'recover') await data!.recover(name);
      else await data!.purge(name);
      setDone(what === 'recover' ? `The secret ${name} was recovered.` : `The secret ${name} was purged: it cannot be recovered.`);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <p style={{ margin: 0 }}>Deleted secrets stay recoverable for {vault.properties.softDeleteRetentionInDays ?? 90} days, then they are purged. <Link href={href('resource', vault.id, 'secrets')}>Back to Secrets</Link></p>
      <div role="toolbar" aria-label="Deleted secrets commands"><Button onClick={() => list.reload()}>Refresh</Button></div>
      {done && <MessageBar intent="success"><MessageBarBody>{done}</MessageBarBody></MessageBar>}
      <ErrorBar error={list.error ?? error} />
      {purging && (
        <MessageBar intent="warning" data-testid="confirm-purge">
          <MessageBarBody>Purge the secret {purging}? It is deleted permanently and cannot be recovered.</MessageBarBody>
          <MessageBarActions>
            <Button onClick={() => void act(purging, 'purge')}>Yes</Button>
            <Button onClick={() => setPurging(undefined)}>No</Button>
          </MessageBarActions>
        </MessageBar>
      )}
      {list.loading && <Spinner label="Loading deleted secrets" />}
      {list.data && (
        <Table aria-label="Deleted secrets">
          <TableHeader><TableRow><TableHeaderCell>Name</TableHeaderCell><TableHeaderCell>Deletion date</TableHeaderCell><TableHeaderCell>Scheduled purge date</TableHeaderCell><TableHeaderCell><span className="visually-hidden">Actions</span></TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {list.data.length === 0 && <TableRow><TableCell>There are no deleted secrets.</TableCell><TableCell /><TableCell /><TableCell /></TableRow>}
            {list.data.map((s) => {
              const { name } = secretIdParts(s.recoveryId ?? s.id);
              return (
                <TableRow key={s.id} data-testid="deleted-row">
                  <TableCell>{name}</TableCell>
                  <TableCell>{when(s.deletedDate)}</TableCell>
                  <TableCell>{when(s.scheduledPurgeDate)}</TableCell>
                  <TableCell>
                    <Button size="small" onClick={() => void act(name, 'recover')} aria-label={`Recover ${name}`}>Recover</Button>{' '}
                    <Button size="small" onClick={() => setPurging(name)} aria-label={`Purge ${name}`}>Purge</Button>
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
    </>
  );
}

/** Secrets → Manage deleted secrets: Recover (recover permission) or Purge (purge permission). */
export function DeletedSecrets({ id }: { id: string }) {
  return <VaultFrame id={id} page="secrets" more={[{ label: 'Manage deleted secrets' }]}><Deleted /></VaultFrame>;
}
