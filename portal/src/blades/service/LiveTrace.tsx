import { Button, Field, Input, MessageBar, MessageBarBody, Select, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useEffect, useMemo, useRef, useState } from 'react';
import { download, openLiveTrace, toCsv, type TraceEvent } from '../../api/trace.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { useSession } from '../../shell/context.ts';
import { go } from '../../shell/router.ts';
import { ResourceFrame, resourceName } from './ResourceFrame.tsx';

/** Events kept in the browser; older ones go first. */
const MAX_KEPT = 5000;
const NOWRAP = { whiteSpace: 'nowrap' } as const;
/** Rows drawn at once (the newest that match the filters). */
const MAX_SHOWN = 500;

type Filters = Record<'hub' | 'connectionId' | 'userId' | 'group' | 'event' | 'status', string> & { category: string };
const EMPTY: Filters = { hub: '', connectionId: '', userId: '', group: '', event: '', status: '', category: '' };
const TEXT_FILTERS: [keyof Filters, string][] = [['hub', 'Hub'], ['connectionId', 'Connection ID'], ['userId', 'User ID'], ['group', 'Group'], ['event', 'Event'], ['status', 'Status']];

function matches(e: TraceEvent, f: Filters): boolean {
  const has = (v: unknown, want: string) => want === '' || String(v ?? '').toLowerCase().includes(want.toLowerCase());
  return (f.category === '' || e.category === f.category) && has(e.hub, f.hub) && has(e.connectionId, f.connectionId) && has(e.userId, f.userId)
    && has(e.group, f.group) && has(e.event, f.event) && has(e.status, f.status);
}

/**
 * Live trace: what this resource does now, streamed with the signed-in user's token (RBAC:
 * liveTrace/read or listKeys on the resource). Filters apply to what was received; Pause keeps
 * receiving but holds new events back until Resume.
 */
export function LiveTrace({ id }: { id: string }) {
  const session = useSession();
  const [events, setEvents] = useState<TraceEvent[]>([]);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [paused, setPaused] = useState(false);
  const [held, setHeld] = useState<TraceEvent[]>([]);
  const [state, setState] = useState<{ live: boolean; node?: string; ended?: string }>({ live: false });
  const [error, setError] = useState<unknown>();
  const stop = useRef<(() => void) | undefined>(undefined);
  const pausedRef = useRef(false);
  pausedRef.current = paused;

  const start = async () => {
    stop.current?.();
    setError(undefined);
    setState({ live: false });
    try {
      stop.current = await openLiveTrace(session, id, {
        ready: (info) => setState({ live: true, node: info.node }),
        events: (batch) => {
          const add = (list: TraceEvent[]) => { const next = [...list, ...batch]; return next.length > MAX_KEPT ? next.slice(next.length - MAX_KEPT) : next; };
          if (pausedRef.current) setHeld(add);
          else setEvents(add);
        },
        ended: (reason, dropped) => setState((s) => ({ ...s, live: false, ended: dropped ? `${reason} Start again to continue.` : reason })),
      });
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    void start();
    return () => stop.current?.();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  const resume = () => {
    setPaused(false);
    setEvents((list) => [...list, ...held].slice(-MAX_KEPT));
    setHeld([]);
  };
  const shown = useMemo(() => events.filter((e) => matches(e, filters)), [events, filters]);
  const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');
  return (
    <ResourceFrame id={id} page="livetrace">
      <ErrorBar error={error} />
      <div role="toolbar" aria-label="Live trace" style={{ display: 'flex', gap: 8, flexWrap: 'wrap', alignItems: 'center' }}>
        {state.live
          ? <Button onClick={() => { stop.current?.(); setState({ live: false, ended: 'Stopped.' }); }}>Stop</Button>
          : <Button appearance="primary" onClick={() => void start()}>Start</Button>}
        {paused ? <Button onClick={resume}>{`Resume (${held.length} new)`}</Button> : <Button onClick={() => setPaused(true)} disabled={!state.live}>Pause</Button>}
        <Button onClick={() => { setEvents([]); setHeld([]); }}>Clear</Button>
        <Button onClick={() => download(`${resourceName(id)}-trace-${stamp()}.json`, 'application/json', JSON.stringify(shown, null, 2))} disabled={shown.length === 0}>Export JSON</Button>
        <Button onClick={() => download(`${resourceName(id)}-trace-${stamp()}.csv`, 'text/csv', toCsv(shown))} disabled={shown.length === 0}>Export CSV</Button>
        <span role="status" data-testid="trace-state">
          {state.live ? `Live on node '${state.node ?? ''}'${paused ? ' (paused)' : ''}` : state.ended ?? 'Not connected'}
        </span>
      </div>
      <section aria-label="Filters" style={{ display: 'flex', gap: 8, flexWrap: 'wrap', alignItems: 'flex-end' }}>
        <Field label="Resource"><Input readOnly value={resourceName(id)} style={{ width: 140 }} /></Field>
        <Field label="Category">
          <Select value={filters.category} onChange={(_, d) => setFilters({ ...filters, category: d.value })}>
            <option value="">All</option>
            <option value="connection">Connections</option>
            <option value="message">Messages</option>
            <option value="rest">REST calls</option>
            <option value="upstream">Upstream</option>
          </Select>
        </Field>
        {TEXT_FILTERS.map(([k, label]) => (
          <Field key={k} label={label}><Input value={filters[k]} onChange={(_, d) => setFilters({ ...filters, [k]: d.value })} style={{ width: 130 }} /></Field>
        ))}
        <Button onClick={() => setFilters(EMPTY)}>Reset filters</Button>
      </section>
      <p style={{ margin: 0 }} aria-live="polite">{`${shown.length} of ${events.length} events`}{shown.length > MAX_SHOWN ? ` (newest ${MAX_SHOWN} shown)` : ''}</p>
      {events.length === 0 && state.live && <MessageBar><MessageBarBody>Waiting for activity: connect a client, send a message or call the REST API.</MessageBarBody></MessageBar>}
      <Table aria-label="Trace events" size="small" style={{ tableLayout: 'auto' }}>
        <TableHeader><TableRow>
          {['Time', 'Category', 'Event', 'Hub', 'Connection', 'User', 'Group', 'Status', 'Details'].map((h) => <TableHeaderCell key={h}>{h}</TableHeaderCell>)}
        </TableRow></TableHeader>
        <TableBody>
          {shown.slice(-MAX_SHOWN).reverse().map((e) => (
            <TableRow key={`${e.node}-${e.id}`} data-testid="trace-row">
              <TableCell style={NOWRAP}>{e.time.slice(11, 23)}</TableCell>
              <TableCell style={NOWRAP}>{e.category}</TableCell>
              <TableCell style={NOWRAP}>{e.event}</TableCell>
              <TableCell style={NOWRAP}>{e.hub ?? ''}</TableCell>
              <TableCell style={{ wordBreak: 'break-all' }}>{e.connectionId ?? ''}</TableCell>
              <TableCell style={NOWRAP}>{e.userId ?? ''}</TableCell>
              <TableCell style={NOWRAP}>{e.group ?? ''}</TableCell>
              <TableCell style={NOWRAP}>{e.status ?? ''}</TableCell>
              <TableCell style={{ wordBreak: 'break-word' }}>
                {[e.detail, e.reason, e.recipients !== undefined ? `${e.recipients} recipient(s) on this node` : undefined, e.durationMs !== undefined ? `${e.durationMs} ms` : undefined].filter(Boolean).join(' · ')}
                {e.callId && <> <Button size="small" appearance="transparent" onClick={() => go('resource', id, 'upstream', e.callId!)} aria-label={`Inspect upstream call ${e.callId}`}>Inspect</Button></>}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </ResourceFrame>
  );
}
