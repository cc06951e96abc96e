import { createContext, useContext } from 'react';
import type { Session } from '../auth/session.ts';

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('no session');
  return s;
}
