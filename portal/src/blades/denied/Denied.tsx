import { Button, MessageBar, MessageBarBody, MessageBarTitle, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { createAssignment } from '../../api/access.ts';
import { FAILURE_TEXT, getDenial, type DenialRecord } from '../../api/denials.ts';
import { type AccessDecision, blocksAllow, explainAccess, myPermissions } from '../../api/explain.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { Shell } from '../../shell/Shell.tsx';
import { useSession } from '../../shell/context.ts';
import { href } from '../../shell/router.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { kindLabel } from '../check/operations.ts';

const scopeLabel = (s: string) => (s === '/' ? 'Root (/)' : s);

/** Who the record is about, as a person would name them: UPN, else app id, else object id. */
export function principalLabel(d: DenialRecord): string {
  const c = d.claims;
  const name = typeof c.upn === 'string' ? c.upn : typeof c.unique_name === 'string' ? c.unique_name : typeof c.appid === 'string' ? `app ${c.appid}` : typeof c.azp === 'string' ? `app ${c.azp}` : undefined;
  return name ?? d.principalId ?? 'an unknown caller';
}

function Claims({ d }: { d: DenialRecord }) {
  const entries = Object.entries(d.claims);
  return (
    <section aria-label="Token claims" style={{ display: 'flex', flexDirection: 'column', gap: 4 }}>
      <h2 style={{ margin: 0, fontSize: 16 }}>Token claims</h2>
      <p style={{ margin: 0 }}>{d.claimsVerified ? 'From the verified token (identifying claims only; never the token itself).' : 'As claimed by the refused token: not verified (identifying claims only).'}</p>
      {entries.length === 0 ? <p style={{ margin: 0 }}>No token, or not a JWT.</p> : (
        <Table aria-label="Claims" size="small" style={{ maxWidth: 900 }}>
          <TableHeader><TableRow><TableHeaderCell>Claim</TableHeaderCell><TableHeaderCell>Value</TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {entries.map(([k, v]) => (
              <TableRow key={k}><TableCell><code>{k}</code></TableCell><TableCell>{(k === 'exp' || k === 'iat' || k === 'nbf') && typeof v === 'number' ? `${v} (${new Date(v * 1000).toISOString()})` : Array.isArray(v) ? v.join(', ') : String(v)}</TableCell></TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </section>
  );
}

function Trace({ decision }: { decision: AccessDecision }) {
  return (
    <>
      <h2 style={{ margin: 0, fontSize: 16 }}>Scopes walked</h2>
      <ol style={{ margin: 0 }} aria-label="Scopes walked">{decision.scopesChecked.map((s) => <li key={s}><code>{s}</code></li>)}</ol>
      <p style={{ margin: 0 }} data-testid="denied-reason">{decision.reason}</p>
      {decision.considered.length > 0 && (
        <Table aria-label="Assignments considered" size="small">
          <TableHeader><TableRow><TableHeaderCell>Role</TableHeaderCell><TableHeaderCell>Scope</TableHeaderCell><TableHeaderCell>Outcome</TableHeaderCell><TableHeaderCell>Reason</TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {decision.considered.map((c) => <TableRow key={c.id}><TableCell>{c.roleName ?? c.roleDefinitionId}</TableCell><TableCell>{scopeLabel(c.scope)}</TableCell><TableCell>{c.outcome}</TableCell><TableCell>{c.reason}</TableCell></TableRow>)}
          </TableBody>
        </Table>
      )}
    </>
  );
}

/** `#/denied/{id}`: why Lapis refused one request (a 401 or 403), and for a 403 the one-click fix. */
export function Denied({ id }: { id: string }) {
  const session = useSession();
  const rec = useLoad(() => getDenial(session, id), [id]);
  const d = rec.data;
  const [mayAssign, setMayAssign] = useState(false);
  const [now, setNow] = useState<AccessDecision>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const missing = d?.missingAssignment ?? undefined;
  useEffect(() => {
    if (!missing) return;
    myPermissions(session, missing.scope).then((b) => setMayAssign(blocksAllow(b, 'action', 'Microsoft.Authorization/roleAssignments/write')), () => setMayAssign(false));
  }, [missing?.scope]);
  const assign = async () => {
    if (!d || !missing || !d.principalId || !d.kind || !d.operation) return;
    setBusy(true);
    setError(undefined);
    try {
      await createAssignment(session, missing.scope, `/providers/Microsoft.Authorization/roleDefinitions/${missing.roleDefinitionId}`, d.principalId);
      setNow(await explainAccess(session, d.principalId, d.kind, d.operation, d.scope));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'Why was this denied?' }]} title="Why was this denied?" active="">
      <ErrorBar error={rec.error ?? error} />
      {rec.loading && <Spinner label="Loading the denial" />}
      {d && (
        <div style={{ display: 'flex', flexDirection: 'column', gap: 10, maxWidth: 1100 }} data-testid="denial">
          <MessageBar intent="error">
            <MessageBarBody>
              <MessageBarTitle>{`${d.status} ${d.code}`}</MessageBarTitle>
              {` ${d.method} ${d.path} (${d.surface}${d.resource ? ` ${d.resource}` : ''}) at ${new Date(d.time).toLocaleString()} on node ${d.node}`}
            </MessageBarBody>
          </MessageBar>
          <p style={{ margin: 0 }} data-testid="denied-message">{d.message}</p>
          {d.status === 401 ? (
            <section aria-label="Why the token was refused">
              <h2 style={{ margin: 0, fontSize: 16 }}>Why the token was refused</h2>
              <p style={{ margin: 0 }} data-testid="denied-failure">{`${d.failure ?? 'other'}: ${FAILURE_TEXT[d.failure ?? 'other'] ?? FAILURE_TEXT.other}`}</p>
            </section>
          ) : (
            <section aria-label="What was needed" style={{ display: 'flex', flexDirection: 'column', gap: 6 }}>
              <h2 style={{ margin: 0, fontSize: 16 }}>What was needed</h2>
              {d.operation ? (
                <p style={{ margin: 0 }} data-testid="denied-needed">
                  {`${principalLabel(d)} (object id ${d.principalId ?? 'unknown'}) needs ${kindLabel(d.kind ?? 'action')} `}<code>{d.operation}</code>{` at `}<code>{d.scope}</code>.
                </p>
              ) : <p style={{ margin: 0 }}>The resource's own permission model refused (for a vault, its access policies).</p>}
              {d.decision && <Trace decision={d.decision} />}
              <h2 style={{ margin: 0, fontSize: 16 }}>Nearest missing assignment</h2>
              <p style={{ margin: 0 }} data-testid="denied-missing">
                {missing ? `'${missing.roleName}' at '${scopeLabel(missing.scope)}' would grant it.` : 'No role assignable here grants it.'}
              </p>
              {missing && !now?.allowed && (mayAssign
                ? <div><Button appearance="primary" disabled={busy} onClick={() => void assign()}>{`Assign ${missing.roleName} to ${principalLabel(d)} at ${resourceLabel(missing.scope)}`}</Button></div>
                : <p style={{ margin: 0 }}>You may not assign roles at this scope; ask an Owner or User Access Administrator.</p>)}
              {now && (
                <MessageBar intent={now.allowed ? 'success' : 'warning'} data-testid="denied-now">
                  <MessageBarBody><MessageBarTitle>{now.allowed ? 'Now allowed' : 'Still denied'}</MessageBarTitle> {now.reason} {now.allowed ? 'The change applies to the next request at once.' : ''}</MessageBarBody>
                </MessageBar>
              )}
            </section>
          )}
          <Claims d={d} />
        </div>
      )}
    </Shell>
  );
}

const resourceLabel = (scope: string) => (scope === '/' ? 'Root (/)' : scope.split('/').slice(-1)[0] ?? scope);
