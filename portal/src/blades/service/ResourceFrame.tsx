import { Tab, TabList } from '@fluentui/react-components';
import type { ReactNode } from 'react';
import { isSignalR } from '../../api/service.ts';
import { Shell } from '../../shell/Shell.tsx';
import { go, href } from '../../shell/router.ts';

export type ServicePage = 'overview' | 'keys' | 'identity' | 'settings' | 'iam' | 'activity' | 'explorer' | 'denials' | 'livetrace' | 'upstream';

/** Azure's menu order for these resources; Access control (IAM) opens the shared IAM blade. */
const PAGES: [ServicePage, string][] = [['overview', 'Overview'], ['activity', 'Activity log'], ['iam', 'Access control (IAM)'], ['keys', 'Keys'], ['identity', 'Identity'], ['settings', 'Settings'], ['explorer', 'Explorer'],
  ['denials', 'Denials'], // Lapis: recent 401/403 answers, each explained
  ['livetrace', 'Live trace'], ['upstream', 'Upstream']]; // Lapis: live trace and the upstream inspector (docs/live-trace.md)

export const resourceName = (id: string) => id.split('/').pop() ?? id;

/** The frame of one Web PubSub / SignalR resource's blades: breadcrumb and its left menu. */
export function ResourceFrame({ id, page, children }: { id: string; page: ServicePage; children: ReactNode }) {
  const name = resourceName(id);
  const pageTitle = PAGES.find(([p]) => p === page)?.[1] ?? '';
  const kind = isSignalR(id) ? 'SignalR' : 'Web PubSub Service';
  const open = (p: string) => (p === 'iam' ? (location.hash = href('iam', id)) : go('resource', id, p));
  return (
    <Shell crumbs={[{ label: 'Home', to: href() }, { label: 'All resources', to: href('resources') }, { label: name, to: href('resource', id, 'overview') }, { label: pageTitle }]} title={`${name} | ${pageTitle}`} active="resources">
      <p style={{ margin: 0 }}>{kind}</p>
      <div style={{ display: 'flex', gap: 16, alignItems: 'flex-start' }}>
        <TabList vertical selectedValue={page} onTabSelect={(_, d) => open(String(d.value))} aria-label="Resource menu">
          {PAGES.map(([p, label]) => <Tab key={p} value={p}>{label}</Tab>)}
        </TabList>
        <div style={{ display: 'flex', flexDirection: 'column', gap: 12, minWidth: 0, flex: 1 }}>{children}</div>
      </div>
    </Shell>
  );
}
