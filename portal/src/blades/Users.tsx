import { Button, Field, Input, Link, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useState } from 'react';
import { createUser, listUsers } from '../api/directory.ts';
import { ErrorBar } from '../shell/ErrorBar.tsx';
import { Shell } from '../shell/Shell.tsx';
import { useSession } from '../shell/context.ts';
import { href } from '../shell/router.ts';
import { useLoad } from '../shell/useLoad.ts';

export function Users() {
  const session = useSession();
  const users = useLoad(() => listUsers(session), []);
  const [adding, setAdding] = useState(false);
  const [upn, setUpn] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const create = async () => {
    setError(undefined);
    try {
      await createUser(session, upn.trim(), displayName.trim(), password);
      setAdding(false);
      setUpn(''); setDisplayName(''); setPassword('');
      users.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'Microsoft Entra ID', to: href('entra', 'apps') }, { label: 'Users' }]} title="Users" active="entra/users">
      <div><Button appearance="primary" onClick={() => setAdding(true)} disabled={adding}>New user</Button></div>
      {adding && (
        <form aria-label="Create new user" onSubmit={(e) => { e.preventDefault(); void create(); }} style={{ display: 'flex', flexDirection: 'column', gap: 8, maxWidth: 420 }}>
          <Field label="User principal name" required><Input value={upn} onChange={(_, d) => setUpn(d.value)} maxLength={200} /></Field>
          <Field label="Display name" required><Input value={displayName} onChange={(_, d) => setDisplayName(d.value)} maxLength={200} /></Field>
          <Field label="Password" required><Input type="password" value={password} onChange={(_, d) => setPassword(d.value)} maxLength={256} /></Field>
          <div style={{ display: 'flex', gap: 8 }}><Button appearance="primary" type="submit" disabled={!upn || !displayName || !password}>Create</Button><Button onClick={() => setAdding(false)}>Cancel</Button></div>
        </form>
      )}
      <ErrorBar error={users.error ?? error} />
      {users.loading && <Spinner label="Loading users" />}
      {users.data && (
        <Table aria-label="Users">
          <TableHeader><TableRow><TableHeaderCell>Display name</TableHeaderCell><TableHeaderCell>User principal name</TableHeaderCell><TableHeaderCell>Object ID</TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {users.data.map((u) => <TableRow key={u.id}><TableCell><Link href={href('entra', 'users', u.id)}>{u.displayName}</Link></TableCell><TableCell>{u.userPrincipalName}</TableCell><TableCell>{u.id}</TableCell></TableRow>)}
          </TableBody>
        </Table>
      )}
    </Shell>
  );
}
