/** The signed-in user and the API client bound to their session. */
import { createContext, useContext } from 'react';
import type { FerryClient, User } from '@ferry/api';

export interface Session {
  readonly user: User;
  readonly api: FerryClient;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

/** The session of a signed-in page (pages behind sign-in only). */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (s === null) throw new Error('useSession outside a signed-in page');
  return s;
}
