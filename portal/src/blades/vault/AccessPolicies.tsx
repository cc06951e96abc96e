import { Button, MessageBar, MessageBarActions, MessageBarBody, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useState } from 'react';
import { updatePolicies, type AccessPolicy } from '../../api/vault.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { useSession } from '../../shell/context.ts';
import { go } from '../../shell/router.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { loadPrincipals } from '../Iam.tsx';
import { PolicyWizard, permissionSummary } from './PolicyWizard.tsx';
import { VaultFrame, useVault } from './VaultFrame.tsx';

const same = (a: AccessPolicy, b: AccessPolicy) =>
  a.tenantId.toLowerCase() === b.tenantId.toLowerCase() && a.objectId.toLowerCase() === b.objectId.toLowerCase()
  && (a.applicationId ?? '').toLowerCase() === (b.applicationId ?? '').toLowerCase();

function Policies() {
  const session = useSession();
  const { vault, reload } = useVault();
  const principals = useLoad(() => loadPrincipals(session), []);
  const [mode, setMode] = useState<{ kind: 'create' } | { kind: 'edit'; policy: AccessPolicy }>();
  const [removing, setRemoving] = useState<AccessPolicy>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const policies = vault.properties.accessPolicies;
  const who = (p: AccessPolicy) => principals.data?.find((x) => x.id.toLowerCase() === p.objectId.toLowerCase());
  const nameOf = (p: AccessPolicy) => who(p)?.name ?? p.objectId;
  const write = async (what: () => Promise<unknown>, message: string) => {
    setError(undefined);
    setDone(undefined);
    await what();
    setMode(undefined);
    setDone(message);
    reload();
  };
  const remove = async (p: AccessPolicy) => {
    setRemoving(undefined);
    try {
      // `remove` takes the listed permissions away; a policy left with none is removed.
      await write(() => updatePolicies(session, vault.id, 'remove', [p]), `The access policy of ${nameOf(p)} was deleted.`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      {vault.properties.enableRbacAuthorization && (
        <MessageBar intent="warning" data-testid="rbac-note">
          <MessageBarBody>Access policies are not used: this vault's permission model is Azure role-based access control. Switch it in Access configuration for these policies to decide.</MessageBarBody>
          <MessageBarActions><Button onClick={() => go('resource', vault.id, 'access-configuration')}>Go to access configuration</Button></MessageBarActions>
        </MessageBar>
      )}
      <div role="toolbar" aria-label="Access policies commands" style={{ display: 'flex', gap: 8 }}>
        <Button appearance="primary" onClick={() => { setMode({ kind: 'create' }); setDone(undefined); }} disabled={mode !== undefined}>+ Create</Button>
        <Button onClick={() => reload()}>Refresh</Button>
      </div>
      {mode && (
        <PolicyWizard key={mode.kind === 'edit' ? mode.policy.objectId : 'new'} tenantId={vault.properties.tenantId} principals={principals.data ?? []}
          editing={mode.kind === 'edit' ? mode.policy : undefined} onCancel={() => setMode(undefined)}
          onSave={(p) => (mode.kind === 'create'
            ? write(() => updatePolicies(session, vault.id, 'add', [p]), `An access policy for ${nameOf(p)} was created.`)
            // Edit: the list with this one policy replaced (`replace` sets the whole list).
            : write(() => updatePolicies(session, vault.id, 'replace', policies.map((x) => (same(x, p) ? p : x))), `The access policy of ${nameOf(p)} was saved.`))} />
      )}
      {done && <MessageBar intent="success"><MessageBarBody>{done}</MessageBarBody></MessageBar>}
      <ErrorBar error={error} />
      {removing && (
        <MessageBar intent="warning" data-testid="confirm-remove-policy">
          <MessageBarBody>Delete the access policy of {nameOf(removing)}? It loses every permission the policy grants at once.</MessageBarBody>
          <MessageBarActions>
            <Button onClick={() => void remove(removing)}>Yes</Button>
            <Button onClick={() => setRemoving(undefined)}>No</Button>
          </MessageBarActions>
        </MessageBar>
      )}
      <Table aria-label="Access policies">
        <TableHeader><TableRow>
          <TableHeaderCell>Name</TableHeaderCell><TableHeaderCell>Type</TableHeaderCell><TableHeaderCell>Key Permissions</TableHeaderCell>
          <TableHeaderCell>Secret Permissions</TableHeaderCell><TableHeaderCell>Certificate Permissions</TableHeaderCell><TableHeaderCell><span className="visually-hidden">Actions</span></TableHeaderCell>
        </TableRow></TableHeader>
        <TableBody>
          {policies.length === 0 && <TableRow><TableCell>No access policies.</TableCell><TableCell /><TableCell /><TableCell /><TableCell /><TableCell /></TableRow>}
          {policies.map((p) => (
            <TableRow key={`${p.objectId}/${p.applicationId ?? ''}`} data-testid="policy-row">
              <TableCell>{nameOf(p)}{who(p) && <> ({who(p)!.detail})</>}{p.applicationId && <> via application {p.applicationId}</>}</TableCell>
              <TableCell>{p.applicationId ? 'Compound identity' : who(p)?.type ?? ''}</TableCell>
              <TableCell>{permissionSummary(p.permissions.keys)}</TableCell>
              <TableCell>{permissionSummary(p.permissions.secrets)}</TableCell>
              <TableCell>{permissionSummary(p.permissions.certificates)}</TableCell>
              <TableCell>
                <Button size="small" onClick={() => { setMode({ kind: 'edit', policy: p }); setDone(undefined); }} disabled={mode !== undefined} aria-label={`Edit the access policy of ${nameOf(p)}`}>Edit</Button>{' '}
                <Button size="small" onClick={() => setRemoving(p)} aria-label={`Delete the access policy of ${nameOf(p)}`}>Delete</Button>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </>
  );
}

/** Access policies: list, Create (Permissions → Principal → Review + create), Edit, Delete; written through ARM accessPolicies/{add|replace|remove}. */
export function AccessPolicies({ id }: { id: string }) {
  return <VaultFrame id={id} page="access-policies"><Policies /></VaultFrame>;
}
