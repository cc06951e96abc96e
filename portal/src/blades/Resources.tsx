import { Link, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { listServiceResources } from '../api/access.ts';
import { listVaults } from '../api/vault.ts';
import { ErrorBar } from '../shell/ErrorBar.tsx';
import { Shell } from '../shell/Shell.tsx';
import { useSession } from '../shell/context.ts';
import { href } from '../shell/router.ts';
import { useLoad } from '../shell/useLoad.ts';

export const resourceGroupOf = (id: string) => /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+)/i.exec(id)?.[1];
const TYPE_NAMES: Record<string, string> = { 'microsoft.signalrservice/webpubsub': 'Web PubSub Service', 'microsoft.signalrservice/signalr': 'SignalR', 'microsoft.keyvault/vaults': 'Key vault' };

export function Resources() {
  const session = useSession();
  const list = useLoad(async () => (await Promise.all([
    listServiceResources(session, session.config.subscriptionId), listVaults(session, session.config.subscriptionId),
  ])).flat(), []);
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'All resources' }]} title="All resources" active="resources">
      <p style={{ margin: 0 }}>Subscription <Link href={href('iam', `/subscriptions/${session.config.subscriptionId}`)}>{session.config.subscriptionId}: Access control (IAM)</Link></p>
      <ErrorBar error={list.error} />
      {list.loading && <Spinner label="Loading resources" />}
      {list.data && (
        <Table aria-label="Resources">
          <TableHeader><TableRow><TableHeaderCell>Name</TableHeaderCell><TableHeaderCell>Type</TableHeaderCell><TableHeaderCell>Resource group</TableHeaderCell><TableHeaderCell>Location</TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {list.data.map((r) => {
              const rg = resourceGroupOf(r.id);
              return (
                <TableRow key={r.id}>
                  <TableCell><Link href={href('resource', r.id, 'overview')}>{r.name}</Link>{' '}<Link href={href('iam', r.id)} aria-label={`${r.name}: Access control (IAM)`}>(IAM)</Link></TableCell>
                  <TableCell>{TYPE_NAMES[r.type.toLowerCase()] ?? r.type}</TableCell>
                  <TableCell>{rg && <Link href={href('iam', rg)} aria-label={`Resource group ${rg.split('/').pop()}: Access control (IAM)`}>{rg.split('/').pop()}</Link>}</TableCell>
                  <TableCell>{r.location}</TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
    </Shell>
  );
}
