/**
 * One node alone: a reliable session lives only in this process (resume works on this node, for
 * the recovery window), so there is nothing to mirror and nothing to recover from elsewhere.
 */
import type { ChannelSessions, SessionStore } from './types.ts';

const LOCAL_ONLY: ChannelSessions = {
  shared: false,
  track: () => undefined,
  recover: () => Promise.resolve({ kind: 'unknown' }),
  handOff: () => Promise.resolve(),
  unbind: () => {},
};

export class InProcessSessionStore implements SessionStore {
  readonly shared = false;

  bind(): ChannelSessions {
    return LOCAL_ONLY;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
