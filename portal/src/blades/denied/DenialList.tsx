import { Link, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { listDenials } from '../../api/denials.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { useSession } from '../../shell/context.ts';
import { href } from '../../shell/router.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { ResourceFrame } from '../service/ResourceFrame.tsx';
import { principalLabel } from './Denied.tsx';

/**
 * The resource's recent 401/403 answers (this node's ring, newest first), each opening its
 * "Why was this denied?" blade. Only records the signed-in user may read are listed.
 */
export function DenialList({ id }: { id: string }) {
  const session = useSession();
  const list = useLoad(() => listDenials(session, id), [id]);
  return (
    <ResourceFrame id={id} page="denials">
      <p style={{ margin: 0 }}>Requests to this resource that Lapis refused (401 or 403), newest first, kept in memory on the node that answered. Open one to see why and, for a missing role, assign it.</p>
      <ErrorBar error={list.error} />
      {list.loading && <Spinner label="Loading denials" />}
      {list.data && list.data.length === 0 && <p style={{ margin: 0 }}>No recent denials.</p>}
      {list.data && list.data.length > 0 && (
        <Table aria-label="Recent denials" size="small">
          <TableHeader><TableRow><TableHeaderCell>Time</TableHeaderCell><TableHeaderCell>Status</TableHeaderCell><TableHeaderCell>Caller</TableHeaderCell><TableHeaderCell>Request</TableHeaderCell><TableHeaderCell>Needed</TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {list.data.map((d) => (
              <TableRow key={d.id}>
                <TableCell><Link href={href('denied', d.id)}>{new Date(d.time).toLocaleTimeString()}</Link></TableCell>
                <TableCell>{`${d.status} ${d.code}`}</TableCell>
                <TableCell>{principalLabel(d)}</TableCell>
                <TableCell><code>{`${d.method} ${d.path}`}</code></TableCell>
                <TableCell>{d.operation ?? d.failure ?? ''}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </ResourceFrame>
  );
}
