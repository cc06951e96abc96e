import { Button, Field, MessageBar, MessageBarBody, Radio, RadioGroup } from '@fluentui/react-components';
import { useState } from 'react';
import { setPermissionModel } from '../../api/vault.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { useSession } from '../../shell/context.ts';
import { VaultFrame, useVault } from './VaultFrame.tsx';

type Model = 'rbac' | 'policy';

function PermissionModel() {
  const session = useSession();
  const { vault, reload } = useVault();
  const current: Model = vault.properties.enableRbacAuthorization ? 'rbac' : 'policy';
  const [choice, setChoice] = useState<Model>(current);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [applied, setApplied] = useState(false);
  const apply = async () => {
    setBusy(true);
    setError(undefined);
    setApplied(false);
    try {
      await setPermissionModel(session, vault.id, choice === 'rbac');
      setApplied(true);
      reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form aria-label="Access configuration" onSubmit={(e) => { e.preventDefault(); void apply(); }} style={{ display: 'flex', flexDirection: 'column', gap: 12, maxWidth: 640 }}>
      <h2 style={{ margin: 0, fontSize: 18 }}>Permission model</h2>
      <p style={{ margin: 0 }}>Grant data plane access by using an Azure RBAC or Key Vault access policy. Changing it applies to the vault's next call: access granted only by the other model stops working at once.</p>
      <Field label="Permission model">
        <RadioGroup value={choice} onChange={(_, d) => setChoice(d.value as Model)}>
          <Radio value="rbac" label="Azure role-based access control (recommended)" />
          <Radio value="policy" label="Vault access policy" />
        </RadioGroup>
      </Field>
      <ErrorBar error={error} />
      {applied && <MessageBar intent="success"><MessageBarBody>The permission model is now {vault.properties.enableRbacAuthorization ? 'Azure role-based access control' : 'Vault access policy'}.</MessageBarBody></MessageBar>}
      <div><Button appearance="primary" type="submit" disabled={busy || choice === current}>Apply</Button></div>
    </form>
  );
}

/** Settings → Access configuration: the permission model (PATCH properties.enableRbacAuthorization; needs Microsoft.KeyVault/vaults/write). */
export function AccessConfiguration({ id }: { id: string }) {
  return <VaultFrame id={id} page="access-configuration"><PermissionModel /></VaultFrame>;
}
