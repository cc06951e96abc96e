import { Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Field, Input, Spinner } from '@fluentui/react-components';
import { useState } from 'react';
import { getService, isSignalR, listKeys, regenerateKey, type Keys as KeySet } from '../../api/service.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { useSession } from '../../shell/context.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { ClientUrlGenerator } from './ClientUrlGenerator.tsx';
import { ResourceFrame } from './ResourceFrame.tsx';

/** One secret value: masked until Show, with Copy (the Azure portal's Keys blade). */
function SecretField({ label, value, testId }: { label: string; value: string; testId: string }) {
  const [shown, setShown] = useState(false);
  return (
    <Field label={label}>
      <div style={{ display: 'flex', gap: 4 }}>
        <Input readOnly type={shown ? 'text' : 'password'} value={value} data-testid={testId} style={{ minWidth: 420 }} />
        <Button onClick={() => setShown((s) => !s)} aria-label={`${shown ? 'Hide' : 'Show'} ${label}`}>{shown ? 'Hide' : 'Show'}</Button>
        <Button onClick={() => void navigator.clipboard.writeText(value).catch(() => {})} aria-label={`Copy ${label}`}>Copy</Button>
      </div>
    </Field>
  );
}

export function Keys({ id }: { id: string }) {
  const session = useSession();
  const keys = useLoad(() => listKeys(session, id), [id]);
  const [fresh, setFresh] = useState<KeySet>();
  const [confirming, setConfirming] = useState<'Primary' | 'Secondary'>();
  const [error, setError] = useState<unknown>();
  const k = fresh ?? keys.data;
  const details = useLoad(() => (isSignalR(id) ? Promise.resolve(undefined) : getService(session, id)), [id]);
  const regenerate = async (keyType: 'Primary' | 'Secondary') => {
    setConfirming(undefined);
    setError(undefined);
    try {
      setFresh(await regenerateKey(session, id, keyType));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <ResourceFrame id={id} page="keys">
      <ErrorBar error={keys.error ?? error} />
      {keys.loading && <Spinner label="Loading keys" />}
      {k && (['Primary', 'Secondary'] as const).map((t) => (
        <section key={t} aria-label={t} style={{ display: 'flex', flexDirection: 'column', gap: 8, padding: 12, border: '1px solid #ddd' }}>
          <h2 style={{ margin: 0, fontSize: 16 }}>{t}</h2>
          <SecretField label={`${t} key`} value={t === 'Primary' ? k.primaryKey : k.secondaryKey} testId={`${t.toLowerCase()}-key`} />
          <SecretField label={`${t} connection string`} value={t === 'Primary' ? k.primaryConnectionString : k.secondaryConnectionString} testId={`${t.toLowerCase()}-connection-string`} />
          <div><Button onClick={() => setConfirming(t)}>{`Regenerate ${t} Key`}</Button></div>
        </section>
      ))}
      {k && !isSignalR(id) && <ClientUrlGenerator connectionString={k.primaryConnectionString} localAuthDisabled={(details.data?.properties as { disableLocalAuth?: boolean } | undefined)?.disableLocalAuth === true} />}
      <Dialog open={confirming !== undefined} onOpenChange={(_, d) => { if (!d.open) setConfirming(undefined); }}>
        <DialogSurface aria-label="Regenerate key">
          <DialogBody>
            <DialogTitle>Regenerate {confirming} Key</DialogTitle>
            <DialogContent>The current {confirming?.toLowerCase()} key and its connection string stop working at once. Clients and servers using them must be updated. Continue?</DialogContent>
            <DialogActions>
              <Button appearance="primary" onClick={() => void regenerate(confirming!)}>Yes</Button>
              <Button onClick={() => setConfirming(undefined)}>No</Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </ResourceFrame>
  );
}
