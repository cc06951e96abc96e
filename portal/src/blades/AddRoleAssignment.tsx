import { Button, Field, Input, Select, Tab, TabList } from '@fluentui/react-components';
import { useState } from 'react';
import { createAssignment, type RoleDefinition } from '../api/access.ts';
import { ErrorBar } from '../shell/ErrorBar.tsx';
import { useSession } from '../shell/context.ts';

export interface Principal { id: string; name: string; detail: string; type: string }
type Step = 'role' | 'members' | 'review';

/** Azure's wizard: Role → Members → Review + assign. */
export function AddRoleAssignment({ scope, roles, principals, onDone, onCancel }: { scope: string; roles: RoleDefinition[]; principals: Principal[]; onDone: () => void; onCancel: () => void }) {
  const session = useSession();
  const [step, setStep] = useState<Step>('role');
  const [roleId, setRoleId] = useState('');
  const [filter, setFilter] = useState('');
  const [memberId, setMemberId] = useState('');
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
          <Field label="Members (users, service principals, managed identities)">
            <Select value={memberId} onChange={(_, d) => { setMemberId(d.value); setTypedId(''); }} data-testid="member-select">
              <option value="">Select a member</option>
              {principals.map((p) => <option key={p.id} value={p.id}>{`${p.name} (${p.type === 'User' ? p.detail : `app ${p.detail}`})`}</option>)}
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
