import { Link, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { listVaults } from '../../api/vault.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { Shell } from '../../shell/Shell.tsx';
import { useSession } from '../../shell/context.ts';
import { href } from '../../shell/router.ts';
import { useLoad } from '../../shell/useLoad.ts';

/** Key vaults: the subscription's vaults (ARM `Microsoft.KeyVault/vaults/read`). Vaults are declared in the config file. */
export function KeyVaults() {
  const session = useSession();
  const list = useLoad(() => listVaults(session, session.config.subscriptionId), []);
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'Key vaults' }]} title="Key vaults" active="vaults">
      <ErrorBar error={list.error} />
      {list.loading && <Spinner label="Loading key vaults" />}
      {list.data && (
        <Table aria-label="Key vaults">
          <TableHeader><TableRow><TableHeaderCell>Name</TableHeaderCell><TableHeaderCell>Type</TableHeaderCell><TableHeaderCell>Resource group</TableHeaderCell><TableHeaderCell>Location</TableHeaderCell><TableHeaderCell>Permission model</TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {list.data.length === 0 && <TableRow><TableCell>No key vaults to display (declare them in the config file).</TableCell><TableCell /><TableCell /><TableCell /><TableCell /></TableRow>}
            {list.data.map((v) => (
              <TableRow key={v.id} data-testid="vault-row">
                <TableCell><Link href={href('resource', v.id, 'overview')}>{v.name}</Link></TableCell>
                <TableCell>Key vault</TableCell>
                <TableCell>{/\/resourceGroups\/([^/]+)/i.exec(v.id)?.[1] ?? ''}</TableCell>
                <TableCell>{v.location}</TableCell>
                <TableCell>{v.properties.enableRbacAuthorization ? 'Azure role-based access control' : 'Vault access policy'}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Shell>
  );
}
