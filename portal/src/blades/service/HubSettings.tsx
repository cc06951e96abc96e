import { Button, Checkbox, Field, Input, Spinner, Switch, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useState } from 'react';
import { listApplications } from '../../api/directory.ts';
import { deleteHub, listHubs, putHub, type EventHandler, type Hub } from '../../api/service.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { useSession } from '../../shell/context.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { AuthEditor } from './AuthEditor.tsx';

const SYSTEM_EVENTS = ['connect', 'connected', 'disconnected'] as const;
const blankHandler = (): EventHandler => ({ urlTemplate: '', userEventPattern: '', systemEvents: [], auth: { type: 'None' } });

/** One hub's settings being added or edited: its name and its ordered event handlers. */
function HubEditor({ id, hub, onDone, onCancel }: { id: string; hub: Hub | undefined; onDone: () => void; onCancel: () => void }) {
  const session = useSession();
  const apps = useLoad(() => listApplications(session).catch(() => []), []);
  const [name, setName] = useState(hub?.name ?? '');
  const [handlers, setHandlers] = useState<EventHandler[]>(hub ? hub.properties.eventHandlers ?? [] : [blankHandler()]); // a hub without handlers edits as it is
  const [anonymous, setAnonymous] = useState(hub?.properties.anonymousConnectPolicy?.toLowerCase() === 'allow');
  const [error, setError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const edit = (i: number, h: Partial<EventHandler>) => setHandlers((all) => all.map((x, j) => (j === i ? { ...x, ...h } : x)));
  const save = async () => {
    setSaving(true);
    setError(undefined);
    try {
      // Empty optional fields are left out, so the service applies its defaults.
      const eventHandlers = handlers.map((h) => ({ urlTemplate: h.urlTemplate.trim(), ...(h.userEventPattern?.trim() ? { userEventPattern: h.userEventPattern.trim() } : {}), systemEvents: h.systemEvents ?? [], auth: h.auth ?? { type: 'None' as const } }));
      await putHub(session, id, name.trim(), { ...hub?.properties, eventHandlers, anonymousConnectPolicy: anonymous ? 'allow' : 'deny' });
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };
  return (
    <form aria-label={hub ? `Edit hub ${hub.name}` : 'Add hub'} onSubmit={(e) => { e.preventDefault(); void save(); }} style={{ display: 'flex', flexDirection: 'column', gap: 8, padding: 12, border: '1px solid #ddd', maxWidth: 720 }}>
      <Field label="Hub name" required><Input value={name} disabled={!!hub} maxLength={128} onChange={(_, d) => setName(d.value)} data-testid="hub-name" /></Field>
      <Switch label="Allow anonymous clients" checked={anonymous} onChange={(_, d) => setAnonymous(d.checked)} data-testid="hub-anonymous" />
      {handlers.map((h, i) => (
        <section key={i} aria-label={`Event handler ${i + 1}`} style={{ display: 'flex', flexDirection: 'column', gap: 8, padding: 8, border: '1px dashed #bbb' }}>
          <h3 style={{ margin: 0, fontSize: 14 }}>Event handler {i + 1}</h3>
          <Field label="URL template" hint="For example https://host/eventhandler/{event}"><Input value={h.urlTemplate} maxLength={2000} onChange={(_, d) => edit(i, { urlTemplate: d.value })} data-testid={`handler-${i}-url`} /></Field>
          <Field label="User event pattern" hint="*, an event name, or a comma-separated list"><Input value={h.userEventPattern ?? ''} maxLength={400} onChange={(_, d) => edit(i, { userEventPattern: d.value })} data-testid={`handler-${i}-user-events`} /></Field>
          <div role="group" aria-label="System events" style={{ display: 'flex', gap: 8 }}>
            {SYSTEM_EVENTS.map((ev) => (
              <Checkbox key={ev} label={ev} checked={h.systemEvents?.includes(ev) ?? false} data-testid={`handler-${i}-${ev}`}
                onChange={(_, d) => edit(i, { systemEvents: d.checked ? [...(h.systemEvents ?? []), ev] : (h.systemEvents ?? []).filter((x) => x !== ev) })} />
            ))}
          </div>
          <AuthEditor auth={h.auth} apps={apps.data ?? []} idPrefix={`handler-${i}`} onChange={(auth) => edit(i, { auth })} />
          <div><Button size="small" onClick={() => setHandlers((all) => all.filter((_, j) => j !== i))}>Remove event handler</Button></div>
        </section>
      ))}
      <div><Button onClick={() => setHandlers((all) => [...all, blankHandler()])}>Add event handler</Button></div>
      <ErrorBar error={error} />
      <div style={{ display: 'flex', gap: 8 }}><Button appearance="primary" type="submit" disabled={saving || !name.trim()}>Save</Button><Button onClick={onCancel}>Cancel</Button></div>
    </form>
  );
}

/** Web PubSub Settings: the hubs with settings, and the editor for one. */
export function HubSettings({ id }: { id: string }) {
  const session = useSession();
  const hubs = useLoad(() => listHubs(session, id), [id]);
  const [editing, setEditing] = useState<{ hub?: Hub }>();
  const [error, setError] = useState<unknown>();
  const remove = async (hub: string) => {
    setError(undefined);
    try {
      await deleteHub(session, id, hub);
      hubs.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <h2 style={{ margin: 0, fontSize: 18 }}>Hubs</h2>
      <div><Button appearance="primary" disabled={!!editing} onClick={() => setEditing({})}>Add</Button></div>
      {editing && <HubEditor key={editing.hub?.name ?? ''} id={id} hub={editing.hub} onDone={() => { setEditing(undefined); hubs.reload(); }} onCancel={() => setEditing(undefined)} />}
      <ErrorBar error={hubs.error ?? error} />
      {hubs.loading && <Spinner label="Loading hubs" />}
      {hubs.data && (
        <Table aria-label="Hubs">
          <TableHeader><TableRow><TableHeaderCell>Hub</TableHeaderCell><TableHeaderCell>Event handlers</TableHeaderCell><TableHeaderCell>Anonymous clients</TableHeaderCell><TableHeaderCell><span className="visually-hidden">Actions</span></TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {hubs.data.map((h) => (
              <TableRow key={h.name} data-testid="hub-row">
                <TableCell>{h.name}</TableCell>
                <TableCell>{(h.properties.eventHandlers ?? []).map((e) => `${e.urlTemplate}${e.auth?.type === 'ManagedIdentity' ? ` (Managed identity: ${e.auth.managedIdentity?.resource ?? ''})` : ''}`).join('; ')}</TableCell>
                <TableCell>{h.properties.anonymousConnectPolicy?.toLowerCase() === 'allow' ? 'Allowed' : 'Denied'}</TableCell>
                <TableCell>
                  <Button size="small" onClick={() => setEditing({ hub: h })} aria-label={`Edit hub ${h.name}`}>Edit</Button>{' '}
                  <Button size="small" onClick={() => void remove(h.name)} aria-label={`Delete hub ${h.name}`}>Delete</Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}
