import {
  Badge, Button, Field, Input, Spinner, Tab, TabList, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, Text,
} from '@fluentui/react-components';
import { useState, type ReactNode } from 'react';
import {
  closeConnection, closeGroup, endpointOf, listConnections, removeFromGroup, removeUserFromGroup, MAX_SHOWN, type LiveConnection,
} from '../../api/explorer.ts';
import { getService, listHubs } from '../../api/service.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { useSession } from '../../shell/context.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { ResourceFrame } from './ResourceFrame.tsx';

type View = 'connections' | 'users' | 'groups';

/** Users and groups as the connections show them (the listing is the one source). */
function summarise(connections: LiveConnection[]) {
  const users = new Map<string, { connections: string[]; groups: Set<string> }>();
  const groups = new Map<string, LiveConnection[]>();
  for (const c of connections) {
    if (c.userId !== null) {
      const u = users.get(c.userId) ?? { connections: [], groups: new Set<string>() };
      u.connections.push(c.connectionId);
      for (const g of c.groups) u.groups.add(g);
      users.set(c.userId, u);
    }
    for (const g of c.groups) groups.set(g, [...groups.get(g) ?? [], c]);
  }
  return { users: [...users].sort(([a], [b]) => a.localeCompare(b)), groups: [...groups].sort(([a], [b]) => a.localeCompare(b)) };
}

const Chips = ({ children }: { children: ReactNode }) => <div style={{ display: 'flex', gap: 4, flexWrap: 'wrap', alignItems: 'center' }}>{children}</div>;

/** Live connections, users and groups of one hub, with Close / Remove through the data-plane REST API. */
export function Explorer({ id }: { id: string }) {
  const session = useSession();
  const service = useLoad(() => getService(session, id), [id]);
  const hubs = useLoad(() => listHubs(session, id), [id]);
  const [hubDraft, setHubDraft] = useState('');
  const [hub, setHub] = useState<string>();
  const [view, setView] = useState<View>('connections');
  const [actionError, setActionError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const endpoint = service.data ? endpointOf(service.data) : '';
  const shownHub = hub ?? hubs.data?.[0]?.name;
  const live = useLoad(async () => (endpoint && shownHub ? listConnections(session, id, endpoint, shownHub) : undefined), [endpoint, shownHub]);
  const act = async (what: string, run: () => Promise<void>) => {
    setActionError(undefined);
    setDone(undefined);
    try {
      await run();
      setDone(what);
      live.reload();
    } catch (err) {
      setActionError(err);
    }
  };
  const data = live.data ? summarise(live.data.connections) : undefined;
  return (
    <ResourceFrame id={id} page="explorer">
      <Text>Live connections, users and groups of a hub. Listing needs <code>…/clientConnection/read</code>; Close needs <code>…/clientConnection/write</code>, Remove needs <code>…/group/write</code> on the hub.</Text>
      <ErrorBar error={service.error} />
      <form aria-label="Hub" style={{ display: 'flex', gap: 8, alignItems: 'flex-end' }} onSubmit={(e) => { e.preventDefault(); if (hubDraft.trim()) setHub(hubDraft.trim()); }}>
        <Field label="Hub name" hint={hubs.data && hubs.data.length > 0 ? `Hubs with settings: ${hubs.data.map((h) => h.name).join(', ')}` : 'Any hub name works (hubs exist implicitly).'}>
          <Input value={hubDraft} onChange={(_, d) => setHubDraft(d.value)} placeholder={shownHub ?? 'chat'} />
        </Field>
        <Button type="submit" appearance="primary">Show hub</Button>
        <Button onClick={() => live.reload()} disabled={!shownHub}>Refresh</Button>
      </form>
      {shownHub && <Text weight="semibold" data-testid="explorer-hub">Hub: {shownHub}</Text>}
      <ErrorBar error={live.error ?? actionError} />
      {done && <Text role="status">{done}</Text>}
      {live.loading && <Spinner label="Loading connections" />}
      {live.data && (
        <>
          <TabList selectedValue={view} onTabSelect={(_, d) => setView(d.value as View)} aria-label="Explorer views">
            <Tab value="connections">Connections ({live.data.connections.length})</Tab>
            <Tab value="users">Users ({data!.users.length})</Tab>
            <Tab value="groups">Groups ({data!.groups.length})</Tab>
          </TabList>
          {live.data.truncated && <Text>Showing the first {MAX_SHOWN} connections.</Text>}
          {view === 'connections' && (
            <Table aria-label="Connections" size="small">
              <TableHeader><TableRow>
                <TableHeaderCell>Connection ID</TableHeaderCell><TableHeaderCell>User</TableHeaderCell><TableHeaderCell>Groups</TableHeaderCell>
                <TableHeaderCell>Permissions</TableHeaderCell><TableHeaderCell>Protocol</TableHeaderCell><TableHeaderCell>Connected since</TableHeaderCell><TableHeaderCell>Actions</TableHeaderCell>
              </TableRow></TableHeader>
              <TableBody>
                {live.data.connections.map((c) => (
                  <TableRow key={c.connectionId} data-testid={`connection-${c.connectionId}`}>
                    <TableCell style={{ overflowWrap: 'anywhere', fontFamily: 'monospace', fontSize: 12 }}>{c.connectionId}</TableCell>
                    <TableCell>{c.userId ?? '(anonymous)'}</TableCell>
                    <TableCell><Chips>{c.groups.map((g) => (
                      <span key={g} style={{ display: 'inline-flex', alignItems: 'center', gap: 2 }}>
                        <Badge appearance="outline" style={{ whiteSpace: 'nowrap', maxWidth: 'none' }}>{g}</Badge>
                        <Button size="small" appearance="subtle" aria-label={`Remove connection ${c.connectionId} from group ${g}`}
                          onClick={() => void act(`Removed ${c.connectionId} from ${g}.`, () => removeFromGroup(session, id, endpoint, shownHub!, g, c.connectionId))}>✕</Button>
                      </span>
                    ))}</Chips></TableCell>
                    <TableCell><Text size={200} style={{ overflowWrap: 'anywhere' }}>{c.roles.length > 0 ? c.roles.join(', ') : '—'}</Text></TableCell>
                    <TableCell>{c.protocol}</TableCell>
                    <TableCell>{new Date(c.connectedAt).toLocaleString()}</TableCell>
                    <TableCell><Button size="small" aria-label={`Close connection ${c.connectionId}`}
                      onClick={() => void act(`Closed ${c.connectionId}.`, () => closeConnection(session, id, endpoint, shownHub!, c.connectionId))}>Close connection</Button></TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
          {view === 'users' && (
            <Table aria-label="Users" size="small">
              <TableHeader><TableRow><TableHeaderCell>User</TableHeaderCell><TableHeaderCell>Connections</TableHeaderCell><TableHeaderCell>Groups</TableHeaderCell></TableRow></TableHeader>
              <TableBody>
                {data!.users.map(([user, u]) => (
                  <TableRow key={user}>
                    <TableCell>{user}</TableCell>
                    <TableCell>{u.connections.length}</TableCell>
                    <TableCell><Chips>{[...u.groups].sort().map((g) => (
                      <span key={g} style={{ display: 'inline-flex', alignItems: 'center', gap: 2 }}>
                        <Badge appearance="outline" style={{ whiteSpace: 'nowrap', maxWidth: 'none' }}>{g}</Badge>
                        <Button size="small" appearance="subtle" aria-label={`Remove user ${user} from group ${g}`}
                          onClick={() => void act(`Removed user ${user} from ${g}.`, () => removeUserFromGroup(session, id, endpoint, shownHub!, user, g))}>✕</Button>
                      </span>
                    ))}</Chips></TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
          {view === 'groups' && (
            <Table aria-label="Groups" size="small">
              <TableHeader><TableRow><TableHeaderCell>Group</TableHeaderCell><TableHeaderCell>Members</TableHeaderCell><TableHeaderCell>Actions</TableHeaderCell></TableRow></TableHeader>
              <TableBody>
                {data!.groups.map(([group, members]) => (
                  <TableRow key={group}>
                    <TableCell>{group}</TableCell>
                    <TableCell><Chips>{members.map((m) => <Badge key={m.connectionId} appearance="outline" style={{ whiteSpace: 'nowrap', maxWidth: 'none' }}>{m.userId ?? m.connectionId}</Badge>)}</Chips></TableCell>
                    <TableCell><Button size="small" aria-label={`Close all connections in group ${group}`}
                      onClick={() => void act(`Closed the connections of ${group}.`, () => closeGroup(session, id, endpoint, shownHub!, group))}>Close all in group</Button></TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </>
      )}
    </ResourceFrame>
  );
}
