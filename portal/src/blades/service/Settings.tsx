import { isSignalR } from '../../api/service.ts';
import { HubSettings } from './HubSettings.tsx';
import { ResourceFrame } from './ResourceFrame.tsx';
import { SignalRSettings } from './SignalRSettings.tsx';

/** Settings: Web PubSub hubs and their event handlers, or SignalR's service mode and upstream. */
export function Settings({ id }: { id: string }) {
  return <ResourceFrame id={id} page="settings">{isSignalR(id) ? <SignalRSettings id={id} /> : <HubSettings id={id} />}</ResourceFrame>;
}
