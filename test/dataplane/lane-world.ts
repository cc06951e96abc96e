/**
 * A Lapis listener (plain HTTP, or TLS with a test certificate) with one Web PubSub resource
 * mounted, so requests take the REST fast lane as in a running Lapis; counts the lane's answers.
 * Shared by the lane tests (the other dataplane tests mount the service on a bare fastify).
 */
import { pino } from 'pino';
import { WebPubSubService } from '../../src/dataplane/webpubsub/index.ts';
import { observeFastLane } from '../../src/net/index.ts';
import { openListener, type Listener } from '../../src/server/listeners.ts';
import { createClientCert } from '../helpers/certs.ts';
import { PRIMARY, SECONDARY } from './helpers.ts';

export interface LaneWorld {
  listener: Listener;
  /** Requests the fast lane answered so far. */
  lane(): number;
  close(): Promise<void>;
}

export async function laneWorld(opts: { tls?: boolean } = {}): Promise<LaneWorld> {
  const log = pino({ level: 'silent' });
  const cert = opts.tls ? await createClientCert('localhost') : undefined;
  const listener = await openListener({ name: 'lane-test', host: '127.0.0.1', port: 0, log, ...(cert ? { tls: { key: cert.keyPem, cert: cert.certPem } } : {}) });
  const service = new WebPubSubService({
    name: 'chat',
    resourceId: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.SignalRService/webPubSub/chat',
    getAccessKeys: () => ({ primaryKey: PRIMARY, secondaryKey: SECONDARY }),
    isLocalAuthDisabled: () => false,
    getHubSettings: () => undefined,
    log,
  });
  let laneAnswers = 0;
  observeFastLane(listener.app, () => { laneAnswers++; });
  service.mount(listener.app);
  await listener.app.ready();
  return { listener, lane: () => laneAnswers, close: async () => { await service.close(); await listener.close(); } };
}
