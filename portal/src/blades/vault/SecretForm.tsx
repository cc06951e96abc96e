import { Button, Checkbox, Field, Input, Switch } from '@fluentui/react-components';
import { useState } from 'react';
import type { NewSecret } from '../../api/vault.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';

const NAME = /^[0-9a-zA-Z-]{1,127}$/;
/** `datetime-local` text (local time) → seconds since 1970, as Key Vault's attributes carry them. */
const seconds = (local: string) => Math.floor(new Date(local).getTime() / 1000);

/**
 * Azure's "Create a secret" form (Generate/Import, and New version with the name fixed): name,
 * secret value, content type, activation and expiration dates, enabled.
 */
export function SecretForm({ fixedName, onCreate, onCancel }: { fixedName?: string; onCreate: (name: string, s: NewSecret) => Promise<void>; onCancel: () => void }) {
  const [name, setName] = useState(fixedName ?? '');
  const [value, setValue] = useState('');
  const [contentType, setContentType] = useState('');
  const [useNbf, setUseNbf] = useState(false);
  const [nbf, setNbf] = useState('');
  const [useExp, setUseExp] = useState(false);
  const [exp, setExp] = useState('');
  const [enabled, setEnabled] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const nameBad = name !== '' && !NAME.test(name);
  const datesBad = (useNbf && !nbf) || (useExp && !exp) || (useNbf && useExp && seconds(nbf) >= seconds(exp));
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onCreate(name, {
        value, ...(contentType ? { contentType } : {}),
        attributes: { enabled, ...(useNbf ? { nbf: seconds(nbf) } : {}), ...(useExp ? { exp: seconds(exp) } : {}) },
      });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const title = fixedName ? 'Create a secret (new version)' : 'Create a secret';
  return (
    <form aria-label={title} onSubmit={(e) => { e.preventDefault(); void submit(); }} style={{ display: 'flex', flexDirection: 'column', gap: 10, maxWidth: 560, padding: 12, border: '1px solid #ddd' }}>
      <h2 style={{ margin: 0, fontSize: 18 }}>{title}</h2>
      <Field label="Upload options"><Input readOnly value="Manual" /></Field>
      <Field label="Name" required validationMessage={nameBad ? 'Secret names are 1–127 letters, digits and dashes.' : undefined}>
        <Input value={name} readOnly={fixedName !== undefined} onChange={(_, d) => setName(d.value)} data-testid="secret-name" />
      </Field>
      <Field label="Secret value" required>
        <Input type="password" value={value} onChange={(_, d) => setValue(d.value)} data-testid="secret-value" />
      </Field>
      <Field label="Content type (optional)">
        <Input value={contentType} onChange={(_, d) => setContentType(d.value)} data-testid="secret-content-type" />
      </Field>
      <Checkbox label="Set activation date" checked={useNbf} onChange={(_, d) => setUseNbf(Boolean(d.checked))} data-testid="secret-set-nbf" />
      {useNbf && <Field label="Activation date"><Input type="datetime-local" value={nbf} onChange={(_, d) => setNbf(d.value)} data-testid="secret-nbf" /></Field>}
      <Checkbox label="Set expiration date" checked={useExp} onChange={(_, d) => setUseExp(Boolean(d.checked))} data-testid="secret-set-exp" />
      {useExp && <Field label="Expiration date" validationMessage={datesBad && exp ? 'The expiration date must be after the activation date.' : undefined}><Input type="datetime-local" value={exp} onChange={(_, d) => setExp(d.value)} data-testid="secret-exp" /></Field>}
      <Switch label={`Enabled: ${enabled ? 'Yes' : 'No'}`} checked={enabled} onChange={(_, d) => setEnabled(d.checked)} data-testid="secret-enabled" />
      <ErrorBar error={error} />
      <div style={{ display: 'flex', gap: 8 }}>
        <Button appearance="primary" type="submit" disabled={busy || !name || nameBad || !value || datesBad}>Create</Button>
        <Button onClick={onCancel}>Cancel</Button>
      </div>
    </form>
  );
}

export const when = (s?: number) => (s ? new Date(s * 1000).toLocaleString() : '');
