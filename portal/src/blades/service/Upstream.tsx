import { Button, MessageBar, MessageBarBody, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useState } from 'react';
import { listUpstreamCalls, replayUpstreamCall, type BodyPreview, type CapturedCall } from '../../api/trace.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { useSession } from '../../shell/context.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { go } from '../../shell/router.ts';
import { ResourceFrame } from './ResourceFrame.tsx';

const pre = { margin: 0, padding: 8, background: '#f5f5f5', whiteSpace: 'pre-wrap', wordBreak: 'break-all', maxHeight: 320, overflow: 'auto' } as const;

function Headers({ label, headers }: { label: string; headers: Record<string, string> | undefined }) {
  const rows = Object.entries(headers ?? {});
  if (rows.length === 0) return null;
  return (
    <Table aria-label={label} size="extra-small">
      <TableHeader><TableRow><TableHeaderCell>Header</TableHeaderCell><TableHeaderCell>Value</TableHeaderCell></TableRow></TableHeader>
      <TableBody>{rows.map(([k, v]) => <TableRow key={k}><TableCell>{k}</TableCell><TableCell style={{ wordBreak: 'break-all' }}>{v}</TableCell></TableRow>)}</TableBody>
    </Table>
  );
}

function Body({ label, body }: { label: string; body: BodyPreview | undefined }) {
  if (!body) return null;
  return (
    <div>
      <h4 style={{ margin: '8px 0 4px' }}>{`${label} (${body.bytes} bytes${body.truncated ? ', cut' : ''}${body.encoding === 'base64' ? ', base64' : ''})`}</h4>
      <pre style={pre} aria-label={label} tabIndex={0}>{body.text || '(empty)'}</pre>
    </div>
  );
}

const outcomeText = (c: CapturedCall) => (c.outcome === 'pending' ? 'pending' : typeof c.outcome === 'number' ? String(c.outcome) : `${c.outcome}${c.failure ? `: ${c.failure}` : ''}`);

function CallDetails({ call, onReplay, replaying }: { call: CapturedCall; onReplay: () => void; replaying: boolean }) {
  return (
    <section aria-label="Upstream call" data-testid="call-details" style={{ display: 'flex', flexDirection: 'column', gap: 8, padding: 12, border: '1px solid #ddd' }}>
      <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
        <h3 style={{ margin: 0, fontSize: 16, flex: 1 }}>{`${call.event} (${call.eventType} event) · ${call.hub} · ${outcomeText(call)}`}</h3>
        <Button appearance="primary" onClick={onReplay} disabled={!call.replayable || replaying}>{replaying ? 'Replaying…' : 'Replay'}</Button>
      </div>
      {!call.replayable && <MessageBar><MessageBarBody>This call cannot be replayed (its body was too large to keep, or its handler could not be resolved).</MessageBarBody></MessageBar>}
      <dl style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '4px 12px', margin: 0 }}>
        <dt>Time</dt><dd style={{ margin: 0 }}>{call.time}</dd>
        <dt>Connection</dt><dd style={{ margin: 0 }}>{call.connectionId ?? ''}{call.userId ? ` (user ${call.userId})` : ''}</dd>
        <dt>URL</dt><dd style={{ margin: 0, wordBreak: 'break-all' }}>{`POST ${call.request.url}`}</dd>
        <dt>URL template</dt><dd style={{ margin: 0, wordBreak: 'break-all' }}>{`${call.request.urlTemplate} (handler ${call.handlerIndex + 1})`}</dd>
        <dt>Preflight</dt><dd style={{ margin: 0 }}>{call.preflight ? `${call.preflight.status}${call.preflight.code ? ` (${call.preflight.code})` : ''}${call.preflight.reason ? `: ${call.preflight.reason}` : ''}${call.preflight.checkedAt ? `, checked ${call.preflight.checkedAt}` : ''}` : 'Not applicable'}</dd>
        <dt>Signature</dt><dd style={{ margin: 0 }}>{call.signature ?? 'None'}</dd>
        <dt>Duration</dt><dd style={{ margin: 0 }}>{call.durationMs !== undefined ? `${call.durationMs} ms, ${call.attempts.length} attempt(s)` : 'running'}</dd>
        {call.replayOf && <><dt>Replay of</dt><dd style={{ margin: 0 }}>{call.replayOf}</dd></>}
      </dl>
      <h4 style={{ margin: '8px 0 0' }}>Request</h4>
      <Headers label="Request headers" headers={call.request.headers} />
      <Body label="Request body" body={call.request.body} />
      <h4 style={{ margin: '8px 0 0' }}>Managed identity token (decoded, signature removed)</h4>
      {call.token ? <pre style={pre} aria-label="Token claims" tabIndex={0}>{JSON.stringify({ header: call.token.header, claims: call.token.claims }, null, 2)}</pre> : <p style={{ margin: 0 }}>No token: the handler does not use managed identity authentication.</p>}
      {call.attempts.map((a, i) => (
        <div key={i} aria-label={`Attempt ${i + 1}`} role="group">
          <h4 style={{ margin: '8px 0 4px' }}>{`Attempt ${i + 1}: ${a.status ?? `${a.error ?? ''} ${a.message ?? ''}`} (${a.durationMs} ms)`}</h4>
          <Headers label={`Response headers, attempt ${i + 1}`} headers={a.headers} />
          <Body label={`Response body, attempt ${i + 1}`} body={a.body} />
        </div>
      ))}
    </section>
  );
}

/**
 * The upstream inspector: the resource's last event-handler calls on this node, each with its
 * request and response, and Replay (the resource's write permission) to send an event again.
 */
export function Upstream({ id, callId }: { id: string; callId?: string | undefined }) {
  const session = useSession();
  const calls = useLoad(() => listUpstreamCalls(session, id), [id]);
  const [error, setError] = useState<unknown>();
  const [replaying, setReplaying] = useState(false);
  const [replayed, setReplayed] = useState<CapturedCall>();
  const list = calls.data?.value ?? [];
  const selected = (replayed && replayed.id === callId ? replayed : undefined) ?? list.find((c) => c.id === callId);
  const replay = async (c: CapturedCall) => {
    setError(undefined);
    setReplaying(true);
    try {
      const again = await replayUpstreamCall(session, id, c.id);
      setReplayed(again);
      calls.reload();
      go('resource', id, 'upstream', again.id);
    } catch (err) {
      setError(err);
    } finally {
      setReplaying(false);
    }
  };
  return (
    <ResourceFrame id={id} page="upstream">
      <ErrorBar error={calls.error ?? error} />
      <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
        <Button onClick={calls.reload}>Refresh</Button>
        <span>{calls.data ? `${list.length} captured call(s) on node ${calls.data.node}` : ''}</span>
      </div>
      {calls.loading && <Spinner label="Loading upstream calls" />}
      {calls.data && list.length === 0 && <MessageBar><MessageBarBody>No event handler call yet. Calls appear here as clients connect and send events.</MessageBarBody></MessageBar>}
      {list.length > 0 && (
        <Table aria-label="Upstream calls" size="small">
          <TableHeader><TableRow>{['Time', 'Hub', 'Event', 'Connection', 'Outcome', 'Attempts', 'Duration', ''].map((h, i) => <TableHeaderCell key={i}>{h || <span className="visually-hidden">Actions</span>}</TableHeaderCell>)}</TableRow></TableHeader>
          <TableBody>
            {list.map((c) => (
              <TableRow key={c.id} data-testid="upstream-row" aria-selected={c.id === callId}>
                <TableCell>{c.time.slice(11, 23)}</TableCell>
                <TableCell>{c.hub}</TableCell>
                <TableCell>{`${c.event}${c.replayOf ? ' (replay)' : ''}`}</TableCell>
                <TableCell>{c.connectionId ?? ''}</TableCell>
                <TableCell>{outcomeText(c)}</TableCell>
                <TableCell>{c.attempts.length}</TableCell>
                <TableCell>{c.durationMs !== undefined ? `${c.durationMs} ms` : ''}</TableCell>
                <TableCell><Button size="small" onClick={() => go('resource', id, 'upstream', c.id)} aria-label={`Inspect ${c.event} call at ${c.time}`}>Inspect</Button></TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {selected && <CallDetails call={selected} replaying={replaying} onReplay={() => void replay(selected)} />}
      {callId && calls.data && !selected && <MessageBar intent="warning"><MessageBarBody>This call is no longer kept on this node.</MessageBarBody></MessageBar>}
    </ResourceFrame>
  );
}
