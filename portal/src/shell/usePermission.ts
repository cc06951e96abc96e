import { useEffect, useState } from 'react';
import { blocksAllow, myPermissions } from '../api/explain.ts';
import { useSession } from './context.ts';

/**
 * Whether the signed-in user may perform an ARM action at a scope (ARM's permissions API), so a blade
 * can disable what would only be refused. Undefined while loading; the server still decides.
 */
export function useMayDo(scope: string, action: string): boolean | undefined {
  const session = useSession();
  const [may, setMay] = useState<boolean>();
  useEffect(() => {
    let live = true;
    myPermissions(session, scope).then((b) => { if (live) setMay(blocksAllow(b, 'action', action)); }, () => { if (live) setMay(false); });
    return () => { live = false; };
  }, [session, scope, action]);
  return may;
}
