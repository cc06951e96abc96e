import {
  Button, Dropdown, Field, Input, Option, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, Text,
} from '@fluentui/react-components';
import { useState } from 'react';
import { listActivity, type ActivityEvent, type ActivityQuery } from '../api/activity.ts';
import { ErrorBar } from '../shell/ErrorBar.tsx';
import { Shell } from '../shell/Shell.tsx';
import { useSession } from '../shell/context.ts';
import { href } from '../shell/router.ts';
import { useLoad } from '../shell/useLoad.ts';
import { ResourceFrame } from './service/ResourceFrame.tsx';

const TIMESPANS: [number, string][] = [[1, 'Last hour'], [6, 'Last 6 hours'], [24, 'Last 24 hours'], [168, 'Last week'], [720, 'Last month']];
const STATUSES = ['All', 'Succeeded', 'Failed'] as const;

interface Filters { hours: number; resourceGroup: string; resourceId: string; operation: string; status: typeof STATUSES[number]; caller: string }

const ago = (iso: string) => {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s} seconds ago` : s < 3600 ? `${Math.round(s / 60)} minutes ago` : s < 86_400 ? `${Math.round(s / 3600)} hours ago` : `${Math.round(s / 86_400)} days ago`;
};

/** The filter bar, the events newest first, and the selected event's details (Azure's Activity log blade). */
function ActivityView({ fixedResource }: { fixedResource?: string }) {
  const session = useSession();
  const [draft, setDraft] = useState<Filters>({ hours: 24, resourceGroup: '', resourceId: fixedResource ?? '', operation: '', status: 'All', caller: '' });
  const [applied, setApplied] = useState(draft);
  const [selected, setSelected] = useState<ActivityEvent>();
  const query: ActivityQuery = {
    subscriptionId: session.config.subscriptionId, hours: applied.hours,
    resourceGroup: applied.resourceGroup.trim() || undefined, resourceId: applied.resourceId.trim() || undefined,
    operation: applied.operation.trim() || undefined, status: applied.status === 'All' ? undefined : applied.status, caller: applied.caller.trim() || undefined,
  };
  const events = useLoad(() => listActivity(session, query), [JSON.stringify(applied)]);
  const set = (k: keyof Filters) => (_: unknown, d: { value: string }) => setDraft((f) => ({ ...f, [k]: d.value }));
  return (
    <>
      <form aria-label="Activity log filters" style={{ display: 'flex', gap: 12, flexWrap: 'wrap', alignItems: 'flex-end' }}
        onSubmit={(e) => { e.preventDefault(); setSelected(undefined); setApplied(draft); }}>
        <Field label="Timespan">
          <Dropdown value={TIMESPANS.find(([h]) => h === draft.hours)?.[1]} selectedOptions={[String(draft.hours)]}
            onOptionSelect={(_, d) => setDraft((f) => ({ ...f, hours: Number(d.optionValue) }))}>
            {TIMESPANS.map(([h, label]) => <Option key={h} value={String(h)}>{label}</Option>)}
          </Dropdown>
        </Field>
        {!fixedResource && <Field label="Resource group"><Input value={draft.resourceGroup} onChange={set('resourceGroup')} placeholder="All" /></Field>}
        {!fixedResource && <Field label="Resource"><Input value={draft.resourceId} onChange={set('resourceId')} placeholder="Resource ID" /></Field>}
        <Field label="Operation"><Input value={draft.operation} onChange={set('operation')} placeholder="e.g. Microsoft.Authorization/roleAssignments/write" /></Field>
        <Field label="Event severity / status">
          <Dropdown value={draft.status} selectedOptions={[draft.status]} onOptionSelect={(_, d) => setDraft((f) => ({ ...f, status: d.optionValue as Filters['status'] }))}>
            {STATUSES.map((s) => <Option key={s} value={s}>{s}</Option>)}
          </Dropdown>
        </Field>
        <Field label="Event initiated by"><Input value={draft.caller} onChange={set('caller')} placeholder="UPN, appId or object ID" /></Field>
        <Button type="submit" appearance="primary">Apply</Button>
        <Button onClick={() => events.reload()}>Refresh</Button>
      </form>
      <ErrorBar error={events.error} />
      {events.loading && <Spinner label="Loading activity" />}
      {events.data && events.data.length === 0 && <Text>No events in this timespan match the filters.</Text>}
      {events.data && events.data.length > 0 && (
        <Table aria-label="Activity log events" size="small">
          <TableHeader><TableRow>
            <TableHeaderCell>Operation name</TableHeaderCell><TableHeaderCell>Status</TableHeaderCell><TableHeaderCell>Time</TableHeaderCell>
            <TableHeaderCell>Time stamp</TableHeaderCell><TableHeaderCell>Resource</TableHeaderCell><TableHeaderCell>Event initiated by</TableHeaderCell>
          </TableRow></TableHeader>
          <TableBody>
            {events.data.map((e) => (
              <TableRow key={e.eventDataId} aria-selected={selected?.eventDataId === e.eventDataId}>
                <TableCell><Button appearance="transparent" onClick={() => setSelected(e)} aria-label={`Details of ${e.operationName.localizedValue} at ${e.eventTimestamp}`}>{e.operationName.localizedValue}</Button></TableCell>
                <TableCell>{e.status.value}</TableCell>
                <TableCell>{ago(e.eventTimestamp)}</TableCell>
                <TableCell>{new Date(e.eventTimestamp).toLocaleString()}</TableCell>
                <TableCell style={{ wordBreak: 'break-all' }}>{e.resourceId.split('/').slice(-2).join('/')}</TableCell>
                <TableCell>{e.caller}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {selected && (
        <section aria-label="Event details" style={{ border: '1px solid #ddd', padding: 12 }}>
          <h2 style={{ margin: '0 0 8px', fontSize: 16 }}>{selected.operationName.localizedValue}</h2>
          <dl style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '4px 12px', margin: 0 }}>
            <dt>Operation</dt><dd style={{ margin: 0 }}>{selected.operationName.value}</dd>
            <dt>Status</dt><dd style={{ margin: 0 }}>{selected.status.value} — {selected.subStatus.localizedValue}</dd>
            <dt>Resource</dt><dd style={{ margin: 0, wordBreak: 'break-all' }}>{selected.resourceId}</dd>
            <dt>Event initiated by</dt><dd style={{ margin: 0 }}>{selected.caller}</dd>
            <dt>Correlation ID</dt><dd style={{ margin: 0 }}>{selected.correlationId}</dd>
            <dt>Caller IP address</dt><dd style={{ margin: 0 }}>{selected.httpRequest?.clientIpAddress}</dd>
            <dt>Time stamp</dt><dd style={{ margin: 0 }}>{selected.eventTimestamp}</dd>
          </dl>
          <details><summary>JSON</summary><pre style={{ whiteSpace: 'pre-wrap', fontSize: 12 }}>{JSON.stringify(selected, null, 2)}</pre></details>
        </section>
      )}
    </>
  );
}

/** Subscription level (left navigation: Monitor → Activity log). */
export function ActivityLog() {
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'Activity log' }]} title="Activity log" active="activity">
      <ActivityView />
    </Shell>
  );
}

/** A resource's Activity log: the same view, filtered to the resource and what lies below it. */
export function ResourceActivityLog({ id }: { id: string }) {
  return <ResourceFrame id={id} page="activity"><ActivityView fixedResource={id} /></ResourceFrame>;
}
