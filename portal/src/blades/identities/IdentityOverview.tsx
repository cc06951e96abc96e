import { Button, Link, Spinner } from '@fluentui/react-components';
import { useState } from 'react';
import { deleteIdentity, getIdentity } from '../../api/identities.ts';
import { CopyField } from '../../shell/CopyField.tsx';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { Shell } from '../../shell/Shell.tsx';
import { useSession } from '../../shell/context.ts';
import { go, href } from '../../shell/router.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { useMayDo } from '../../shell/usePermission.ts';
import { resourceGroupName } from './ManagedIdentities.tsx';

/** A user-assigned identity's Overview: the ids a user copies into code and role assignments. */
export function IdentityOverview({ id }: { id: string }) {
  const session = useSession();
  const m = useLoad(() => getIdentity(session, id), [id]);
  const [error, setError] = useState<unknown>();
  const mayDelete = useMayDo(id, 'Microsoft.ManagedIdentity/userAssignedIdentities/delete') !== false;
  const name = id.split('/').pop() ?? id;
  const remove = async () => {
    if (!confirm(`Delete the managed identity "${name}"? Resources that use it can no longer get tokens with it.`)) return;
    setError(undefined);
    try {
      await deleteIdentity(session, id);
      go('identities');
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'Managed Identities', to: href('identities') }, { label: name }]} title={`${name} | Overview`} active="identities">
      <p style={{ margin: 0 }}>Managed Identity · <Link href={href('iam', id)}>Access control (IAM)</Link></p>
      <ErrorBar error={m.error ?? error} />
      {m.loading && <Spinner label="Loading" />}
      {m.data && (
        <section aria-label="Essentials" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
          <CopyField label="Client ID" value={m.data.properties.clientId} testId="identity-client-id" />
          <CopyField label="Object (principal) ID" value={m.data.properties.principalId} testId="identity-principal-id" />
          <CopyField label="Resource ID" value={m.data.id} testId="identity-resource-id" />
          <CopyField label="Tenant ID" value={m.data.properties.tenantId} testId="identity-tenant-id" />
          <p style={{ margin: 0 }}>Resource group <strong>{resourceGroupName(m.data.id)}</strong> · Location <strong>{m.data.location}</strong></p>
          <div><Button disabled={!mayDelete} onClick={() => void remove()}>Delete</Button></div>
        </section>
      )}
    </Shell>
  );
}
