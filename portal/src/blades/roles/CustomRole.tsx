import { Button, Field, Input, Radio, RadioGroup, Select, Tab, TabList, Textarea } from '@fluentui/react-components';
import { useState } from 'react';
import { putRoleDefinition, type RoleDefinition, type RolePermission } from '../../api/access.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { useSession } from '../../shell/context.ts';

type Step = 'basics' | 'permissions' | 'scopes' | 'json';
const KINDS = [['actions', 'Actions'], ['notActions', 'NotActions'], ['dataActions', 'DataActions'], ['notDataActions', 'NotDataActions']] as const;
const EMPTY: RolePermission = { actions: [], notActions: [], dataActions: [], notDataActions: [] };
const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/** Azure's "Create a custom role": Basics (name, description, clone or scratch) → Permissions → Assignable scopes → JSON → Create. */
export function CustomRole({ scope, roles, onDone, onCancel }: { scope: string; roles: RoleDefinition[]; onDone: () => void; onCancel: () => void }) {
  const session = useSession();
  const [step, setStep] = useState<Step>('basics');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [baseline, setBaseline] = useState<'clone' | 'scratch'>('scratch');
  const [cloneId, setCloneId] = useState('');
  const [perm, setPerm] = useState<Record<keyof RolePermission, string>>({ actions: '', notActions: '', dataActions: '', notDataActions: '' });
  const [scopes, setScopes] = useState(scope === '/' ? '' : scope);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const clone = (id: string) => {
    setCloneId(id);
    const src = roles.find((r) => r.id === id)?.properties.permissions?.[0] ?? EMPTY;
    setPerm({ actions: src.actions.join('\n'), notActions: src.notActions.join('\n'), dataActions: src.dataActions.join('\n'), notDataActions: src.notDataActions.join('\n') });
  };
  const properties = {
    roleName: name.trim(), description: description.trim(),
    permissions: [{ actions: lines(perm.actions), notActions: lines(perm.notActions), dataActions: lines(perm.dataActions), notDataActions: lines(perm.notDataActions) }],
    assignableScopes: lines(scopes),
  };
  const create = async () => {
    setBusy(true);
    setError(undefined);
    try {
      // Created at the first assignable scope, as Azure's portal does.
      await putRoleDefinition(session, properties.assignableScopes[0] ?? scope, crypto.randomUUID(), properties);
      onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const sorted = [...roles].sort((a, b) => a.properties.roleName.localeCompare(b.properties.roleName));
  return (
    <section aria-label="Create a custom role" style={{ border: '1px solid #ccc', padding: 12, display: 'flex', flexDirection: 'column', gap: 8, maxWidth: 720 }}>
      <h2 style={{ margin: 0, fontSize: 18 }}>Create a custom role</h2>
      <TabList selectedValue={step} onTabSelect={(_, d) => setStep(d.value as Step)} aria-label="Create a custom role steps">
        <Tab value="basics">Basics</Tab><Tab value="permissions">Permissions</Tab><Tab value="scopes">Assignable scopes</Tab><Tab value="json">JSON</Tab>
      </TabList>
      {step === 'basics' && (
        <>
          <Field label="Custom role name" required><Input value={name} onChange={(_, d) => setName(d.value)} maxLength={512} data-testid="custom-role-name" /></Field>
          <Field label="Description"><Textarea value={description} onChange={(_, d) => setDescription(d.value)} maxLength={2048} /></Field>
          <Field label="Baseline permissions">
            <RadioGroup value={baseline} onChange={(_, d) => setBaseline(d.value as 'clone' | 'scratch')} layout="horizontal">
              <Radio value="clone" label="Clone a role" /><Radio value="scratch" label="Start from scratch" />
            </RadioGroup>
          </Field>
          {baseline === 'clone' && (
            <Field label="Role to clone">
              <Select value={cloneId} onChange={(_, d) => clone(d.value)} data-testid="clone-role">
                <option value="">Select a role</option>
                {sorted.map((r) => <option key={r.id} value={r.id}>{r.properties.roleName}</option>)}
              </Select>
            </Field>
          )}
        </>
      )}
      {step === 'permissions' && KINDS.map(([k, label]) => (
        <Field key={k} label={`${label} (one per line)`}>
          <Textarea value={perm[k]} onChange={(_, d) => setPerm((p) => ({ ...p, [k]: d.value }))} rows={3} maxLength={32 * 1024} data-testid={`custom-role-${k}`} />
        </Field>
      ))}
      {step === 'scopes' && (
        <Field label="Assignable scopes (one per line)" hint="Management groups, subscriptions or resource groups where the role can be assigned.">
          <Textarea value={scopes} onChange={(_, d) => setScopes(d.value)} rows={3} maxLength={16 * 1024} data-testid="custom-role-scopes" />
        </Field>
      )}
      {step === 'json' && (
        <Field label="JSON">
          <Textarea readOnly value={JSON.stringify({ properties: { ...properties, type: 'CustomRole' } }, null, 2)} rows={16} data-testid="custom-role-json" style={{ fontFamily: 'monospace' }} />
        </Field>
      )}
      <ErrorBar error={error} />
      <div style={{ display: 'flex', gap: 8 }}>
        <Button appearance="primary" disabled={busy || !properties.roleName || !properties.assignableScopes.length} onClick={() => void create()}>Create</Button>
        <Button onClick={onCancel}>Cancel</Button>
      </div>
    </section>
  );
}
