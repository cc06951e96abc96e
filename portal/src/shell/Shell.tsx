import { Breadcrumb, BreadcrumbButton, BreadcrumbDivider, BreadcrumbItem, Button, Link, Text, makeStyles, tokens } from '@fluentui/react-components';
import { Fragment, type ReactNode } from 'react';
import { useSession } from './context.ts';
import { href } from './router.ts';

const useStyles = makeStyles({
  root: { display: 'grid', gridTemplateRows: '48px 1fr', gridTemplateColumns: '220px 1fr', minHeight: '100vh' },
  header: { gridColumn: '1 / 3', display: 'flex', alignItems: 'center', justifyContent: 'space-between', padding: '0 16px', backgroundColor: tokens.colorBrandBackground, color: tokens.colorNeutralForegroundOnBrand },
  nav: { borderRight: `1px solid ${tokens.colorNeutralStroke2}`, padding: '12px 8px', display: 'flex', flexDirection: 'column', gap: '4px' },
  main: { padding: '12px 24px', display: 'flex', flexDirection: 'column', gap: '12px', minWidth: 0 },
  navGroup: { margin: '12px 8px 4px', fontWeight: tokens.fontWeightSemibold },
  navLink: { padding: '6px 8px', borderRadius: tokens.borderRadiusMedium },
  current: { backgroundColor: tokens.colorNeutralBackground1Selected, fontWeight: tokens.fontWeightSemibold },
});

export interface Crumb { label: string; to?: string }

const NAV: { group?: string; label: string; to: string; key: string }[] = [
  { label: 'Home', to: href(), key: '' },
  { group: 'Microsoft Entra ID', label: 'App registrations', to: href('entra', 'apps'), key: 'entra/apps' },
  { label: 'Users', to: href('entra', 'users'), key: 'entra/users' },
  { label: 'Managed Identities', to: href('identities'), key: 'identities' },
  { group: 'Resources', label: 'All resources', to: href('resources'), key: 'resources' },
  { label: 'Key vaults', to: href('vaults'), key: 'vaults' },
  { label: 'Resource groups', to: href('resourcegroups'), key: 'resourcegroups' },
  { label: 'Subscriptions', to: href('subscriptions'), key: 'subscriptions' },
  { label: 'Management groups', to: href('managementgroups'), key: 'managementgroups' },
  { group: 'Monitor', label: 'Activity log', to: href('activity'), key: 'activity' },
];

/** The frame every blade sits in: header with the account, left navigation, breadcrumb, the blade. */
export function Shell({ crumbs, title, active, children }: { crumbs: Crumb[]; title: string; active: string; children: ReactNode }) {
  const s = useStyles();
  const session = useSession();
  return (
    <div className={s.root}>
      <header className={s.header}>
        <Text weight="semibold" size={400}>Lapis portal</Text>
        <div style={{ display: 'flex', gap: 12, alignItems: 'center' }}>
          <Text data-testid="account">{session.account?.userPrincipalName}</Text>
          <Button appearance="secondary" size="small" onClick={() => session.signOut()}>Sign out</Button>
        </div>
      </header>
      <nav className={s.nav} aria-label="Portal navigation">
        {NAV.map((n) => (
          <Fragment key={n.key}>
            {n.group && <Text className={s.navGroup} as="h2" size={200}>{n.group}</Text>}
            <Link href={n.to} className={`${s.navLink} ${active === n.key ? s.current : ''}`} aria-current={active === n.key ? 'page' : undefined}>{n.label}</Link>
          </Fragment>
        ))}
      </nav>
      <main className={s.main}>
        <Breadcrumb aria-label="Breadcrumb">
          {crumbs.map((c, i) => (
            <Fragment key={i}>
              <BreadcrumbItem>
                <BreadcrumbButton href={c.to} current={i === crumbs.length - 1}>{c.label}</BreadcrumbButton>
              </BreadcrumbItem>
              {i < crumbs.length - 1 && <BreadcrumbDivider />}
            </Fragment>
          ))}
        </Breadcrumb>
        <h1 style={{ margin: 0, fontSize: 24, fontWeight: 600 }}>{title}</h1>
        {children}
      </main>
    </div>
  );
}
