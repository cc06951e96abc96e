import { Button, Field, Input, Link, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useState } from 'react';
import { createApplication, listApplications } from '../api/directory.ts';
import { ErrorBar } from '../shell/ErrorBar.tsx';
import { Shell } from '../shell/Shell.tsx';
import { useSession } from '../shell/context.ts';
import { go, href } from '../shell/router.ts';
import { useLoad } from '../shell/useLoad.ts';

const ENTRA = { label: 'Microsoft Entra ID', to: href('entra', 'apps') };

export function AppRegistrations() {
  const session = useSession();
  const apps = useLoad(() => listApplications(session), []);
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, ENTRA, { label: 'App registrations' }]} title="App registrations" active="entra/apps">
      <div><Button appearance="primary" onClick={() => go('entra', 'apps', 'new')}>New registration</Button></div>
      <ErrorBar error={apps.error} />
      {apps.loading && <Spinner label="Loading applications" />}
      {apps.data && (
        <Table aria-label="App registrations">
          <TableHeader><TableRow><TableHeaderCell>Display name</TableHeaderCell><TableHeaderCell>Application (client) ID</TableHeaderCell><TableHeaderCell>Created on</TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {apps.data.map((a) => (
              <TableRow key={a.id}>
                <TableCell><Link href={href('entra', 'apps', a.id, 'overview')}>{a.displayName}</Link></TableCell>
                <TableCell>{a.appId}</TableCell>
                <TableCell>{a.createdDateTime?.slice(0, 10) ?? ''}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Shell>
  );
}

export function NewRegistration() {
  const session = useSession();
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const register = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const app = await createApplication(session, name.trim());
      go('entra', 'apps', app.id, 'overview');
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, ENTRA, { label: 'App registrations', to: href('entra', 'apps') }, { label: 'Register an application' }]} title="Register an application" active="entra/apps">
      <form onSubmit={(e) => { e.preventDefault(); void register(); }} style={{ display: 'flex', flexDirection: 'column', gap: 12, maxWidth: 480 }}>
        <Field label="Name" required hint="The user-facing display name for this application (this can be changed later).">
          <Input value={name} onChange={(_, d) => setName(d.value)} data-testid="app-name" maxLength={120} />
        </Field>
        <ErrorBar error={error} />
        <div><Button appearance="primary" type="submit" disabled={busy || !name.trim()}>Register</Button></div>
      </form>
    </Shell>
  );
}
