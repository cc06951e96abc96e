import { Link } from '@fluentui/react-components';
import { Shell } from '../shell/Shell.tsx';
import { useSession } from '../shell/context.ts';
import { href } from '../shell/router.ts';

export function Home() {
  const session = useSession();
  return (
    <Shell crumbs={[{ label: 'Home' }]} title="Home" active="">
      <p style={{ margin: 0 }}>Signed in as <strong>{session.account?.name}</strong> ({session.account?.userPrincipalName}), tenant <code>{session.config.tenantId}</code>, subscription <code>{session.config.subscriptionId}</code>.</p>
      <ul>
        <li><Link href={href('entra', 'apps')}>Microsoft Entra ID: App registrations</Link></li>
        <li><Link href={href('entra', 'users')}>Microsoft Entra ID: Users</Link></li>
        <li><Link href={href('resources')}>All resources: Access control (IAM)</Link></li>
      </ul>
    </Shell>
  );
}
