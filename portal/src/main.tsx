import { Button, FluentProvider, Spinner, webLightTheme } from '@fluentui/react-components';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { loadConfig } from './auth/config.ts';
import { Session } from './auth/session.ts';
import { SessionContext } from './shell/context.ts';
import { App } from './shell/App.tsx';
import './portal.css';

type State = { kind: 'loading' } | { kind: 'signed-out'; session: Session; error?: string } | { kind: 'signed-in'; session: Session } | { kind: 'failed'; error: string };

/** Once per page load (not per render): a code in the URL can be redeemed only once. */
async function start(): Promise<State | undefined> {
  const config = await loadConfig();
  // The redirect URI is registered for Lapis's own URL: reached by another name, go there first.
  if (location.origin !== new URL(config.portalUrl).origin) {
    location.replace(`${config.portalUrl}${location.hash}`);
    return undefined;
  }
  const session = new Session(config);
  try {
    await session.completeSignIn();
  } catch (err) {
    return { kind: 'signed-out', session, error: (err as Error).message };
  }
  return session.account ? { kind: 'signed-in', session } : { kind: 'signed-out', session };
}
const starting: Promise<State> = start().then((s) => s ?? { kind: 'loading' });

function Root() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  useEffect(() => {
    let live = true;
    starting.then((s) => { if (live) setState(s); }, (err: unknown) => { if (live) setState({ kind: 'failed', error: (err as Error).message }); });
    return () => { live = false; };
  }, []);
  if (state.kind === 'loading') return <Spinner label="Loading the Lapis portal" style={{ marginTop: 80 }} />;
  if (state.kind === 'failed') return <main style={{ padding: 24 }}><h1>The Lapis portal could not start</h1><p role="alert">{state.error}</p></main>;
  if (state.kind === 'signed-out') {
    return (
      <main style={{ padding: 48, display: 'flex', flexDirection: 'column', gap: 16, alignItems: 'flex-start' }}>
        <h1 style={{ margin: 0 }}>Lapis portal</h1>
        <p style={{ margin: 0 }}>Sign in with a user of this Lapis tenant (on first start Lapis printed the bootstrap administrator's name and password).</p>
        {state.error && <p role="alert" style={{ color: '#a4262c' }}>{state.error}</p>}
        <Button appearance="primary" onClick={() => void state.session.signIn()}>Sign in</Button>
      </main>
    );
  }
  return <SessionContext.Provider value={state.session}><App /></SessionContext.Provider>;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <FluentProvider theme={webLightTheme}><Root /></FluentProvider>
  </StrictMode>,
);
