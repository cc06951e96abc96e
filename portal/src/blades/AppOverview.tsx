import { Button, Spinner, Tab, TabList } from '@fluentui/react-components';
import { useState, type ReactNode } from 'react';
import { deleteApplication, getApplication, type Application } from '../api/directory.ts';
import { CopyField } from '../shell/CopyField.tsx';
import { ErrorBar } from '../shell/ErrorBar.tsx';
import { Shell } from '../shell/Shell.tsx';
import { useSession } from '../shell/context.ts';
import { go, href } from '../shell/router.ts';
import { useLoad } from '../shell/useLoad.ts';

/** The frame of one app registration's blades: its menu (Overview, Certificates & secrets). */
export function AppFrame({ id, page, app, children }: { id: string; page: 'overview' | 'secrets'; app: Application | undefined; children: ReactNode }) {
  const name = app?.displayName ?? '…';
  const pageTitle = page === 'overview' ? 'Overview' : 'Certificates & secrets';
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'App registrations', to: href('entra', 'apps') }, { label: name, to: href('entra', 'apps', id, 'overview') }, { label: pageTitle }]} title={`${name} | ${pageTitle}`} active="entra/apps">
      <TabList selectedValue={page} onTabSelect={(_, d) => go('entra', 'apps', id, String(d.value))} aria-label="Application menu">
        <Tab value="overview">Overview</Tab>
        <Tab value="secrets">Certificates &amp; secrets</Tab>
      </TabList>
      {children}
    </Shell>
  );
}

export function AppOverview({ id }: { id: string }) {
  const session = useSession();
  const app = useLoad(() => getApplication(session, id), [id]);
  const [error, setError] = useState<unknown>();
  const remove = async () => {
    if (!confirm(`Delete the app registration "${app.data?.displayName}"?`)) return;
    try {
      await deleteApplication(session, id);
      go('entra', 'apps');
    } catch (err) {
      setError(err);
    }
  };
  return (
    <AppFrame id={id} page="overview" app={app.data}>
      <ErrorBar error={app.error ?? error} />
      {app.loading && <Spinner label="Loading" />}
      {app.data && (
        <section aria-label="Essentials" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
          <CopyField label="Display name" value={app.data.displayName} testId="display-name" />
          <CopyField label="Application (client) ID" value={app.data.appId} testId="client-id" />
          <CopyField label="Object ID" value={app.data.id} testId="object-id" />
          <CopyField label="Directory (tenant) ID" value={session.config.tenantId} testId="tenant-id" />
          <div><Button onClick={() => void remove()}>Delete</Button></div>
        </section>
      )}
    </AppFrame>
  );
}
