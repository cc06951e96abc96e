import { Button, Field, Input, Link, Spinner } from '@fluentui/react-components';
import { useState } from 'react';
import type { SecretBundle } from '../../api/vault.ts';
import { CopyField } from '../../shell/CopyField.tsx';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { href } from '../../shell/router.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { when } from './SecretForm.tsx';
import { VaultFrame, useVault } from './VaultFrame.tsx';

function Version({ name, version }: { name: string; version: string }) {
  const { vault, data } = useVault();
  // The version's metadata comes from the versions list (readMetadata / list); the value is read only when asked.
  const meta = useLoad(async () => (data ? (await data.listVersions(name)).find((v) => v.id.endsWith(`/${version}`)) : undefined), [data, name, version]);
  const [value, setValue] = useState<SecretBundle>();
  const [shown, setShown] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const show = async () => {
    setError(undefined);
    setBusy(true);
    try {
      setValue(await data!.getSecret(name, version));
      setShown(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const m = meta.data;
  const uri = vault.properties.vaultUri?.replace(/\/+$/, '') ?? '';
  return (
    <>
      <ErrorBar error={meta.error} />
      {meta.loading && <Spinner label="Loading the version" />}
      <section aria-label="Secret version" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
        <CopyField label="Secret Identifier" value={`${uri}/secrets/${name}/${version}`} testId="secret-identifier" />
        {m && <>
          <CopyField label="Activation date" value={when(m.attributes.nbf) || 'Not set'} testId="secret-activation" />
          <CopyField label="Expiration date" value={when(m.attributes.exp) || 'Not set'} testId="secret-expiration" />
          <CopyField label="Enabled" value={m.attributes.enabled === false ? 'No' : 'Yes'} testId="secret-enabled-state" />
          <CopyField label="Content type" value={m.contentType ?? ''} testId="secret-type" />
        </>}
        <Field label="Secret value">
          <div style={{ display: 'flex', gap: 4 }}>
            <Input readOnly type={shown ? 'text' : 'password'} value={shown && value ? value.value : '••••••••'} data-testid="secret-shown-value" style={{ minWidth: 420 }} />
            {shown
              ? <Button onClick={() => { setShown(false); setValue(undefined); }}>Hide Secret Value</Button>
              : <Button onClick={() => void show()} disabled={busy || !data}>Show Secret Value</Button>}
            {shown && value && <Button onClick={() => void navigator.clipboard.writeText(value.value).catch(() => {})} aria-label="Copy the secret value">Copy</Button>}
          </div>
        </Field>
        <ErrorBar error={error} />
      </section>
      <p style={{ margin: 0 }}>Back to <Link href={href("resource", vault.id, "secrets", name)}>{name}</Link></p>
    </>
  );
}

/** One version: its identifier and attributes; the value only after "Show Secret Value" (a data-plane GET with the user's vault token). */
export function SecretVersion({ id, name, version }: { id: string; name: string; version: string }) {
  return (
    <VaultFrame id={id} page="secrets" more={[{ label: name, to: href('resource', id, 'secrets', name) }, { label: version }]}>
      <Version name={name} version={version} />
    </VaultFrame>
  );
}
