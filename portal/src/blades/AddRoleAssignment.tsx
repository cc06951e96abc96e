import { Button, Field, Input, Radio, RadioGroup, Select, Tab, TabList } from '@fluentui/react-components';
import { useState } from 'react';
import { createAssignment, type RoleDefinition } from '../api/access.ts';
import { ErrorBar } from '../shell/ErrorBar.tsx';
import { useSession } from '../shell/context.ts';

/** kind: what the Members step groups by (Azure's "Assign access to" and managed identity type). */
export interface Principal { id: string; name: string; detail: string; type: string; kind?: 'user' | 'app' | 'mi-user' | 'mi-system' }
type AssignTo = 'principal' | 'mi';
/** A user's UPN, an app's client id, a managed identity's resource group and resource type. */
const memberDetail = (p: Principal) => {
  if (p.kind === 'user' || p.type === 'User') return p.detail;
  if (p.kind !== 'mi-user' && p.kind !== 'mi-system') return `app ${p.detail}`;
  const m = /\/resourceGroups\/([^/]+)\/providers\/[^/]+\/([^/]+)\//i.exec(p.detail);
  return m ? `${m[1]}, ${m[2]}` : p.detail;
};
const MI_KINDS = [['mi-user', 'User-assigned managed identity'], ['mi-system', 'System-assigned managed identity']] as const;
type Step = 'role' | 'members' | 'review';

/** Azure's wizard: Role → Members → Review + assign. */
export function AddRoleAssignment({ scope, roles, principals, onDone, onCancel }: { scope: string; roles: RoleDefinition[]; principals: Principal[]; onDone: () => void; onCancel: () => void }) {
  const session = useSession();
  const [step, setStep] = useState<Step>('role');
  const [roleId, setRoleId] = useState('');
  const [filter, setFilter] = useState('');
  const [memberId, setMemberId] = useState('');
  const [assignTo, setAssignTo] = useState<AssignTo>('principal');
  const [miKind, setMiKind] = useState<'mi-user' | 'mi-system'>('mi-user');
  const candidates = principals.filter((p) => (assignTo === 'mi' ? p.kind === miKind : p.kind !== 'mi-user' && p.kind !== 'mi-system'));
  // Without directory read access (Graph needs a directory administrator) a member is named by object id.
  const [typedId, setTypedId] = useState('');
  const [typedType, setTypedType] = useState('User');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const role = roles.find((r) => r.id === roleId);
  const typed = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(typedId.trim())
    ? { id: typedId.trim().toLowerCase(), name: typedId.trim().toLowerCase(), detail: '', type: typedType } : undefined;
  const member = principals.find((p) => p.id === memberId) ?? typed;
  const shown = roles.filter((r) => r.properties.roleName.toLowerCase().includes(filter.toLowerCase())).sort((a, b) => a.properties.roleName.localeCompare(b.properties.roleName));
  const assign = async () => {
    if (!role || !member) return;
    setBusy(true);
    setError(undefined);
    try {
      await createAssignment(session, scope, role.id, member.id, member.type);
      onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <section aria-label="Add role assignment" style={{ border: '1px solid #ccc', padding: 12, display: 'flex', flexDirection: 'column', gap: 8, maxWidth: 640 }}>
      <h2 style={{ margin: 0, fontSize: 18 }}>Add role assignment</h2>
      <TabList selectedValue={step} onTabSelect={(_, d) => setStep(d.value as Step)} aria-label="Add role assignment steps">
        <Tab value="role">Role</Tab>
        <Tab value="members" disabled={!role}>Members</Tab>
        <Tab value="review" disabled={!role || !member}>Review + assign</Tab>
      </TabList>
      {step === 'role' && (
        <>
          <Field label="Search by role name"><Input value={filter} onChange={(_, d) => setFilter(d.value)} data-testid="role-search" /></Field>
          <Field label="Role">
            <Select value={roleId} onChange={(_, d) => setRoleId(d.value)} data-testid="role-select">
              <option value="">Select a role</option>
              {shown.map((r) => <option key={r.id} value={r.id}>{r.properties.roleName}</option>)}
            </Select>
          </Field>
          {role && <p style={{ margin: 0 }}>{role.properties.description}</p>}
          <div><Button appearance="primary" disabled={!role} onClick={() => setStep('members')}>Next</Button></div>
        </>
      )}
      {step === 'members' && (
        <>
          <Field label="Assign access to">
            <RadioGroup value={assignTo} onChange={(_, d) => { setAssignTo(d.value as AssignTo); setMemberId(''); }} layout="horizontal" data-testid="assign-to">
              <Radio value="principal" label="User, group, or service principal" />
              <Radio value="mi" label="Managed identity" />
            </RadioGroup>
          </Field>
          {assignTo === 'mi' && (
            <Field label="Managed identity">
              <Select value={miKind} onChange={(_, d) => { setMiKind(d.value as 'mi-user' | 'mi-system'); setMemberId(''); }} data-testid="mi-kind">
                {MI_KINDS.map(([k, l]) => <option key={k} value={k}>{l}</option>)}
              </Select>
            </Field>
          )}
          <Field label="Members">
            <Select value={memberId} onChange={(_, d) => { setMemberId(d.value); setTypedId(''); }} data-testid="member-select">
              <option value="">Select a member</option>
              {candidates.map((p) => <option key={p.id} value={p.id}>{`${p.name} (${memberDetail(p)})`}</option>)}
            </Select>
          </Field>
          <Field label="Or the member's object ID" hint="For a principal not listed above (the list needs directory read access).">
            <Input value={typedId} onChange={(_, d) => { setTypedId(d.value); setMemberId(''); }} maxLength={36} data-testid="member-object-id" />
          </Field>
          <Field label="Type of the object ID's principal">
            <Select value={typedType} onChange={(_, d) => setTypedType(d.value)}>
              <option value="User">User</option>
              <option value="ServicePrincipal">Service principal or managed identity</option>
            </Select>
          </Field>
          <div style={{ display: 'flex', gap: 8 }}><Button onClick={() => setStep('role')}>Previous</Button><Button appearance="primary" disabled={!member} onClick={() => setStep('review')}>Next</Button></div>
        </>
      )}
      {step === 'review' && role && member && (
        <>
          <dl style={{ margin: 0 }} data-testid="review">
            <dt>Role</dt><dd>{role.properties.roleName}</dd>
            <dt>Scope</dt><dd>{scope}</dd>
            <dt>Members</dt><dd>{member.name} ({member.type})</dd>
          </dl>
          <div style={{ display: 'flex', gap: 8 }}><Button onClick={() => setStep('members')}>Previous</Button><Button appearance="primary" disabled={busy} onClick={() => void assign()}>Review + assign</Button></div>
        </>
      )}
      <ErrorBar error={error} />
      <div><Button appearance="subtle" onClick={onCancel}>Cancel</Button></div>
    </section>
  );
}
