import { Button, Checkbox, Field, Input, Tab, TabList, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useState } from 'react';
import { POLICY_PERMISSIONS, type AccessPolicy } from '../../api/vault.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import type { Principal } from '../AddRoleAssignment.tsx';

type Step = 'permissions' | 'principal' | 'application' | 'review';
type Category = keyof typeof POLICY_PERMISSIONS;
const CATEGORY_LABEL: Record<Category, string> = { keys: 'Key permissions', secrets: 'Secret permissions', certificates: 'Certificate permissions' };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Azure's portal labels where they differ from the API name. */
const LABELS: Record<string, string> = {
  unwrapKey: 'Unwrap Key', wrapKey: 'Wrap Key', getrotationpolicy: 'Get Rotation Policy', setrotationpolicy: 'Set Rotation Policy',
  managecontacts: 'Manage Contacts', manageissuers: 'Manage Certificate Authorities', getissuers: 'Get Certificate Authorities',
  listissuers: 'List Certificate Authorities', setissuers: 'Set Certificate Authorities', deleteissuers: 'Delete Certificate Authorities',
};
const label = (p: string) => LABELS[p] ?? LABELS[p.toLowerCase()] ?? p.charAt(0).toUpperCase() + p.slice(1);

function PermissionBoxes({ category, chosen, set }: { category: Category; chosen: string[]; set: (l: string[]) => void }) {
  const all = POLICY_PERMISSIONS[category].flatMap((g) => g.names);
  const has = (p: string) => chosen.some((c) => c.toLowerCase() === p.toLowerCase() || c.toLowerCase() === 'all');
  const toggle = (p: string, on: boolean) => {
    const expanded = chosen.some((c) => c.toLowerCase() === 'all') ? all : chosen;
    set(on ? [...expanded.filter((c) => c.toLowerCase() !== p.toLowerCase()), p] : expanded.filter((c) => c.toLowerCase() !== p.toLowerCase()));
  };
  return (
    <fieldset style={{ border: '1px solid #ddd', padding: 8, minWidth: 200 }} data-testid={`policy-${category}`}>
      <legend>{CATEGORY_LABEL[category]}</legend>
      <Checkbox label="Select all" checked={all.every(has)} onChange={(_, d) => set(d.checked ? [...all] : [])} />
      {POLICY_PERMISSIONS[category].map((g) => (
        <div key={g.group} role="group" aria-label={`${CATEGORY_LABEL[category]}: ${g.group}`} style={{ display: 'flex', flexDirection: 'column' }}>
          <strong style={{ fontSize: 12, marginTop: 6 }}>{g.group}</strong>
          {g.names.map((p) => <Checkbox key={p} label={label(p)} checked={has(p)} onChange={(_, d) => toggle(p, Boolean(d.checked))} aria-label={`${CATEGORY_LABEL[category]}: ${label(p)}`} />)}
        </div>
      ))}
    </fieldset>
  );
}

/**
 * Create an access policy (or edit one, the principal fixed): Permissions → Principal →
 * Application (optional) → Review + create, as Azure's portal. The caller writes it through ARM.
 */
export function PolicyWizard({ tenantId, principals, editing, onSave, onCancel }: {
  tenantId: string; principals: Principal[]; editing?: AccessPolicy; onSave: (p: AccessPolicy) => Promise<void>; onCancel: () => void;
}) {
  const [step, setStep] = useState<Step>('permissions');
  const [perms, setPerms] = useState<Record<Category, string[]>>({
    keys: editing?.permissions.keys ?? [], secrets: editing?.permissions.secrets ?? [], certificates: editing?.permissions.certificates ?? [],
  });
  const [objectId, setObjectId] = useState(editing?.objectId ?? '');
  const [search, setSearch] = useState('');
  const [applicationId, setApplicationId] = useState(editing?.applicationId ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const chosen = principals.find((p) => p.id.toLowerCase() === objectId.toLowerCase());
  const none = Object.values(perms).every((l) => l.length === 0);
  const principalOk = GUID.test(objectId);
  const appOk = applicationId === '' || GUID.test(applicationId);
  const matches = principals.filter((p) => !search || `${p.name} ${p.detail} ${p.id}`.toLowerCase().includes(search.toLowerCase())).slice(0, 50);
  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const permissions = { ...editing?.permissions, ...perms };
      await onSave({ tenantId: editing?.tenantId ?? tenantId, objectId, ...(applicationId ? { applicationId } : {}), permissions });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const next: Record<Step, Step | undefined> = { permissions: editing ? 'review' : 'principal', principal: 'application', application: 'review', review: undefined };
  const prev: Record<Step, Step | undefined> = { permissions: undefined, principal: 'permissions', application: 'principal', review: editing ? 'permissions' : 'application' };
  const canNext = step === 'permissions' ? !none : step === 'principal' ? principalOk : appOk;
  const title = editing ? 'Edit access policy' : 'Create an access policy';
  return (
    <form aria-label={title} onSubmit={(e) => e.preventDefault()} style={{ display: 'flex', flexDirection: 'column', gap: 10, padding: 12, border: '1px solid #ddd' }}>
      <h2 style={{ margin: 0, fontSize: 18 }}>{title}</h2>
      <TabList selectedValue={step} onTabSelect={(_, d) => setStep(d.value as Step)} aria-label="Access policy steps">
        <Tab value="permissions">Permissions</Tab>
        <Tab value="principal" disabled={none || editing !== undefined}>Principal</Tab>
        {!editing && <Tab value="application" disabled={none || !principalOk}>Application (optional)</Tab>}
        <Tab value="review" disabled={none || !principalOk || !appOk}>Review + create</Tab>
      </TabList>
      {step === 'permissions' && (
        <div style={{ display: 'flex', gap: 12, flexWrap: 'wrap', alignItems: 'flex-start' }}>
          {(Object.keys(POLICY_PERMISSIONS) as Category[]).map((c) => <PermissionBoxes key={c} category={c} chosen={perms[c]} set={(l) => setPerms((p) => ({ ...p, [c]: l }))} />)}
        </div>
      )}
      {step === 'principal' && (
        <div style={{ display: 'flex', flexDirection: 'column', gap: 8, maxWidth: 720 }}>
          <Field label="Search by name, id or user principal name"><Input value={search} onChange={(_, d) => setSearch(d.value)} data-testid="policy-principal-search" /></Field>
          <Table aria-label="Principals" size="small">
            <TableHeader><TableRow><TableHeaderCell>Name</TableHeaderCell><TableHeaderCell>Type</TableHeaderCell><TableHeaderCell>Object ID</TableHeaderCell><TableHeaderCell><span className="visually-hidden">Select</span></TableHeaderCell></TableRow></TableHeader>
            <TableBody>
              {matches.map((p) => (
                <TableRow key={p.id} data-testid="principal-row">
                  <TableCell>{p.name} ({p.detail})</TableCell><TableCell>{p.type}</TableCell><TableCell>{p.id}</TableCell>
                  <TableCell><Button size="small" appearance={p.id === objectId ? 'primary' : 'secondary'} onClick={() => setObjectId(p.id)} aria-label={`${p.id === objectId ? 'Selected' : 'Select'} ${p.name}`}>{p.id === objectId ? 'Selected' : 'Select'}</Button></TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          <Field label="Or the principal's object ID" validationMessage={objectId && !principalOk ? 'An object ID is a GUID.' : undefined}>
            <Input value={objectId} onChange={(_, d) => setObjectId(d.value.trim())} data-testid="policy-object-id" />
          </Field>
        </div>
      )}
      {step === 'application' && (
        <Field label="Application ID (optional: the policy then applies only when this application acts for the principal)" validationMessage={appOk ? undefined : 'An application ID is a GUID.'}>
          <Input value={applicationId} onChange={(_, d) => setApplicationId(d.value.trim())} data-testid="policy-application-id" />
        </Field>
      )}
      {step === 'review' && (
        <section aria-label="Review" data-testid="policy-review" style={{ display: 'flex', flexDirection: 'column', gap: 4 }}>
          {(Object.keys(CATEGORY_LABEL) as Category[]).map((c) => <div key={c}><strong>{CATEGORY_LABEL[c]}:</strong> {perms[c].map(label).join(', ') || 'None'}</div>)}
          <div><strong>Principal:</strong> {chosen ? `${chosen.name} (${chosen.type})` : ''} {objectId}</div>
          <div><strong>Application:</strong> {applicationId || 'None'}</div>
        </section>
      )}
      <ErrorBar error={error} />
      <div style={{ display: 'flex', gap: 8 }}>
        {prev[step] && <Button onClick={() => setStep(prev[step]!)}>Previous</Button>}
        {next[step] && <Button appearance="primary" disabled={!canNext} onClick={() => setStep(next[step]!)}>Next</Button>}
        {step === 'review' && <Button appearance="primary" disabled={busy} onClick={() => void save()}>{editing ? 'Save' : 'Create'}</Button>}
        <Button onClick={onCancel}>Cancel</Button>
      </div>
    </form>
  );
}

export const permissionSummary = (l?: string[]) => (l && l.length ? l.map(label).join(', ') : '');
