import { Button, MessageBar, MessageBarBody, Spinner } from '@fluentui/react-components';
import { useState } from 'react';
import { getUser, resetPassword } from '../api/directory.ts';
import { CopyField } from '../shell/CopyField.tsx';
import { ErrorBar } from '../shell/ErrorBar.tsx';
import { Shell } from '../shell/Shell.tsx';
import { useSession } from '../shell/context.ts';
import { href } from '../shell/router.ts';
import { useLoad } from '../shell/useLoad.ts';

/** A temporary password that meets Entra's rule (three of: lower, upper, digits, symbols): all four, 16 characters. */
export function temporaryPassword(): string {
  const sets = ['abcdefghijkmnopqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '!@#$%&*?'];
  const random = (n: number) => crypto.getRandomValues(new Uint32Array(1))[0]! % n;
  const all = sets.join('');
  const chars = [...sets.map((set) => set[random(set.length)]!), ...Array.from({ length: 12 }, () => all[random(all.length)]!)];
  for (let i = chars.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/** One user's Overview with Reset password (Graph PATCH /users/{id} passwordProfile). */
export function UserOverview({ id }: { id: string }) {
  const session = useSession();
  const user = useLoad(() => getUser(session, id), [id]);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  // Shown once: leaving the blade forgets it, as Azure's portal does.
  const [temporary, setTemporary] = useState<string>();
  const [error, setError] = useState<unknown>();
  const name = user.data?.displayName ?? '…';
  const reset = async () => {
    setBusy(true);
    setError(undefined);
    const password = temporaryPassword();
    try {
      await resetPassword(session, id, password);
      setTemporary(password);
      setConfirming(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'Users', to: href('entra', 'users') }, { label: name }]} title={`${name} | Overview`} active="entra/users">
      <div><Button onClick={() => { setConfirming(true); setTemporary(undefined); }} disabled={confirming || !user.data}>Reset password</Button></div>
      {confirming && (
        <section aria-label="Reset password" style={{ display: 'flex', flexDirection: 'column', gap: 8, maxWidth: 560, padding: 12, border: '1px solid #ddd' }}>
          <h2 style={{ margin: 0, fontSize: 18 }}>Reset password</h2>
          <p style={{ margin: 0 }}>The user <strong>{user.data?.userPrincipalName}</strong> gets a new temporary password; the current one stops working at once and the user's earlier sign-ins end. Lapis has no "change your password" step at sign-in: the user signs in with the temporary password until an administrator resets it again.</p>
          <div style={{ display: 'flex', gap: 8 }}><Button appearance="primary" disabled={busy} onClick={() => void reset()}>Reset password</Button><Button onClick={() => setConfirming(false)}>Cancel</Button></div>
        </section>
      )}
      <ErrorBar error={user.error ?? error} />
      {temporary && (
        <>
          <MessageBar intent="warning"><MessageBarBody>Copy the temporary password and give it to the user. You won't be able to see it again after you leave this blade.</MessageBarBody></MessageBar>
          <CopyField label="Temporary password" value={temporary} testId="temporary-password" />
        </>
      )}
      {user.loading && <Spinner label="Loading" />}
      {user.data && (
        <section aria-label="Basic info" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
          <CopyField label="User principal name" value={user.data.userPrincipalName} testId="user-upn" />
          <CopyField label="Object ID" value={user.data.id} testId="user-object-id" />
          <CopyField label="Display name" value={user.data.displayName} testId="user-display-name" />
        </section>
      )}
    </Shell>
  );
}
