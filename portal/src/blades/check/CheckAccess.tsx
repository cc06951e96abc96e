import { Button, Field, Input, MessageBar, MessageBarBody, MessageBarTitle, Radio, RadioGroup, Select, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { createAssignment, type RoleDefinition } from '../../api/access.ts';
import { type AccessDecision, type OperationKind, blocksAllow, explainAccess, myPermissions, patternMatches } from '../../api/explain.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { useSession } from '../../shell/context.ts';
import type { Principal } from '../AddRoleAssignment.tsx';
import { commonOperations, kindLabel } from './operations.ts';

export interface CheckPrefill { principalId?: string; operation?: string; kind?: OperationKind }

/** Role definitions as ARM returns them, permissions included (the IAM blade's type leaves them out). */
type RoleWithPermissions = RoleDefinition & { properties: { permissions?: { actions?: string[]; notActions?: string[]; dataActions?: string[]; notDataActions?: string[] }[] } };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The role to offer for a denial: one that grants the operation through its most specific pattern (least privilege first). */
export function suggestRole(roles: RoleDefinition[], kind: OperationKind, operation: string): RoleDefinition | undefined {
  let best: { role: RoleDefinition; score: number } | undefined;
  for (const r of roles as RoleWithPermissions[]) {
    const blocks = r.properties.permissions ?? [];
    if (!blocksAllow(blocks, kind, operation)) continue;
    const patterns = blocks.flatMap((b) => (kind === 'action' ? b.actions : b.dataActions) ?? []);
    const score = Math.max(...patterns.filter((p) => patternMatches(p, operation)).map((p) => p.replace(/\*/g, '').length));
    if (!best || score > best.score) best = { role: r, score };
  }
  return best?.role;
}

/** Azure's "Check access" tab: may this principal do this operation here, and if not, why not. */
export function CheckAccess({ scope, roles, principals, prefill, onAssigned }: { scope: string; roles: RoleDefinition[]; principals: Principal[]; prefill?: CheckPrefill; onAssigned: () => void }) {
  const session = useSession();
  const common = commonOperations(scope);
  const [principalId, setPrincipalId] = useState(prefill?.principalId?.toLowerCase() ?? '');
  const [kind, setKind] = useState<OperationKind>(prefill?.kind ?? (prefill?.operation ? 'action' : 'dataAction'));
  const [operation, setOperation] = useState(prefill?.operation ?? '');
  const [decision, setDecision] = useState<AccessDecision>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [mayAssign, setMayAssign] = useState(false);
  useEffect(() => {
    myPermissions(session, scope).then((b) => setMayAssign(blocksAllow(b, 'action', 'Microsoft.Authorization/roleAssignments/write')), () => setMayAssign(false));
  }, [scope]);
  const listed = principals.find((p) => p.id === principalId);
  const valid = GUID.test(principalId.trim()) && operation.trim().length > 0 && operation.length <= 512 && !operation.includes('*');
  const check = async () => {
    if (!valid) return;
    setBusy(true);
    setError(undefined);
    setDecision(undefined); // a new question: never leave the previous answer on screen meanwhile
    try {
      setDecision(await explainAccess(session, principalId.trim().toLowerCase(), kind, operation.trim(), scope));
    } catch (err) {
      setDecision(undefined);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const suggested = decision && !decision.allowed ? suggestRole(roles, kind, decision.operation) : undefined;
  const assign = async () => {
    if (!suggested || !decision) return;
    setBusy(true);
    setError(undefined);
    try {
      await createAssignment(session, scope, suggested.id, decision.principalId, listed?.type);
      onAssigned();
      setDecision(await explainAccess(session, decision.principalId, kind, decision.operation, scope));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-label="Check access" style={{ display: 'flex', flexDirection: 'column', gap: 8, maxWidth: 900 }}>
      <p style={{ margin: 0 }}>Check whether a user, application or managed identity may perform an operation at this scope, and why.</p>
      <Field label="Principal">
        <Select value={listed ? principalId : ''} onChange={(_, d) => setPrincipalId(d.value)} data-testid="check-principal-select">
          <option value="">Select a principal</option>
          {principals.map((p) => <option key={p.id} value={p.id}>{`${p.name} (${p.type === 'User' ? p.detail : `app ${p.detail}`})`}</option>)}
        </Select>
      </Field>
      <Field label="Or the principal's object ID">
        <Input value={principalId} onChange={(_, d) => setPrincipalId(d.value)} maxLength={36} data-testid="check-principal-id" />
      </Field>
      <Field label="Kind of operation">
        <RadioGroup layout="horizontal" value={kind} onChange={(_, d) => setKind(d.value as OperationKind)}>
          <Radio value="dataAction" label="DataAction (data plane)" />
          <Radio value="action" label="Action (management)" />
        </RadioGroup>
      </Field>
      <Field label="Common operations here">
        <Select value="" onChange={(_, d) => { const c = common[Number(d.value)]; if (c) { setKind(c.kind); setOperation(c.operation); } }} data-testid="check-common">
          <option value="">Pick one to fill in the operation</option>
          {common.map((c, i) => <option key={`${c.kind}${c.operation}`} value={String(i)}>{`${kindLabel(c.kind)}: ${c.operation}`}</option>)}
        </Select>
      </Field>
      <Field label="Operation" hint="The exact operation name, without wildcards.">
        <Input value={operation} onChange={(_, d) => setOperation(d.value)} maxLength={512} data-testid="check-operation" />
      </Field>
      <div><Button appearance="primary" disabled={!valid || busy} onClick={() => void check()}>Check</Button></div>
      {busy && <Spinner label="Checking" size="small" />}
      <ErrorBar error={error} />
      {decision && <DecisionView decision={decision} suggested={mayAssign ? suggested : undefined} busy={busy} onAssign={() => void assign()} />}
    </section>
  );
}

function DecisionView({ decision, suggested, busy, onAssign }: { decision: AccessDecision; suggested?: RoleDefinition; busy: boolean; onAssign: () => void }) {
  const granting = decision.considered.filter((c) => c.outcome === 'granted');
  return (
    <div data-testid="check-result" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      <MessageBar intent={decision.allowed ? 'success' : 'warning'}>
        <MessageBarBody>
          <MessageBarTitle>{decision.allowed ? 'Allowed' : 'Denied'}</MessageBarTitle>{' '}
          {`${kindLabel(decision.kind === 'action' ? 'action' : 'dataAction')} '${decision.operation}' at '${decision.scope}'.`}
        </MessageBarBody>
      </MessageBar>
      <p style={{ margin: 0 }} data-testid="check-reason">{decision.reason}</p>
      {decision.allowed ? (
        <>
          <h3 style={{ margin: 0, fontSize: 16 }}>Assignments that grant it</h3>
          <ul style={{ margin: 0 }}>{granting.map((c) => <li key={c.id}>{`${c.roleName ?? c.roleDefinitionId} at ${c.scope === '/' ? 'Root (/)' : c.scope}${c.via && c.via !== 'self' ? ` (inherited from the ${c.via})` : ''}, pattern ${c.matchedPattern ?? ''}`}</li>)}</ul>
        </>
      ) : (
        <>
          <h3 style={{ margin: 0, fontSize: 16 }}>Why</h3>
          <p style={{ margin: 0 }}>{`Needed: ${kindLabel(decision.kind === 'action' ? 'action' : 'dataAction')} '${decision.operation}'. No assignment at these scopes grants it:`}</p>
          <ol style={{ margin: 0 }} aria-label="Scopes checked">{decision.scopesChecked.map((s) => <li key={s}><code>{s}</code></li>)}</ol>
          <p style={{ margin: 0 }} data-testid="check-missing">
            {suggested ? `Nearest missing assignment: '${suggested.properties.roleName}' at '${decision.scope}'.` : 'No role this user may assign here grants it, or you may not assign roles at this scope.'}
          </p>
          {suggested && <div><Button appearance="primary" disabled={busy} onClick={onAssign}>{`Assign ${suggested.properties.roleName}`}</Button></div>}
        </>
      )}
      {decision.considered.length > 0 && (
        <Table aria-label="Assignments considered" size="small">
          <TableHeader><TableRow><TableHeaderCell>Role</TableHeaderCell><TableHeaderCell>Scope</TableHeaderCell><TableHeaderCell>Outcome</TableHeaderCell><TableHeaderCell>Reason</TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {decision.considered.map((c) => (
              <TableRow key={c.id}><TableCell>{c.roleName ?? c.roleDefinitionId}</TableCell><TableCell>{c.scope === '/' ? 'Root (/)' : c.scope}</TableCell><TableCell>{c.outcome}</TableCell><TableCell>{c.reason}</TableCell></TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </div>
  );
}
