import { Spinner } from '@fluentui/react-components';
import { getService } from '../../api/service.ts';
import { CopyField } from '../../shell/CopyField.tsx';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { useSession } from '../../shell/context.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { ResourceFrame } from './ResourceFrame.tsx';

/** Essentials: host name and endpoint (Lapis serves each resource on its own port), location, SKU, resource id. */
export function ServiceOverview({ id }: { id: string }) {
  const session = useSession();
  const r = useLoad(() => getService(session, id), [id]);
  const p = r.data?.properties;
  const endpoint = p?.hostName ? `https://${p.hostName}${p.publicPort ? `:${p.publicPort}` : ''}` : '';
  return (
    <ResourceFrame id={id} page="overview">
      <ErrorBar error={r.error} />
      {r.loading && <Spinner label="Loading" />}
      {r.data && (
        <section aria-label="Essentials" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
          <CopyField label="Host name" value={p?.hostName ?? ''} testId="host-name" />
          <CopyField label="Endpoint" value={endpoint} testId="endpoint" />
          <CopyField label="Location" value={r.data.location} testId="location" />
          <CopyField label="Pricing tier" value={r.data.sku ? `${r.data.sku.tier ?? ''} ${r.data.sku.name}`.trim() : ''} testId="sku" />
          <CopyField label="Resource ID" value={r.data.id} testId="resource-id" />
        </section>
      )}
    </ResourceFrame>
  );
}
