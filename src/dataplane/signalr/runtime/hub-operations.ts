/**
 * The SignalR REST API's operations over the messaging core: every call becomes a cluster command,
 * so the same code serves one node or many (the backplane carries the commands).
 */
import type { CommandResult, MessagingCore, Target } from '../../../messaging/index.ts';
import type { SignalRMessage } from '../../../protocols/signalr/index.ts';
import type { CloseScope, SignalRHubOperations } from '../rest/operations.ts';

export class CoreHubOperations implements SignalRHubOperations {
  readonly #core: MessagingCore;

  constructor(core: MessagingCore) {
    this.#core = core;
  }

  broadcast(hub: string, message: SignalRMessage, excluded: readonly string[]): void {
    this.#send(hub, { scope: 'hub' }, message, excluded);
  }

  sendToUser(hub: string, userId: string, message: SignalRMessage): void {
    this.#send(hub, { scope: 'user', userId }, message, []);
  }

  sendToGroup(hub: string, group: string, message: SignalRMessage, excluded: readonly string[]): void {
    this.#send(hub, { scope: 'group', group }, message, excluded);
  }

  sendToConnection(hub: string, connectionId: string, message: SignalRMessage): void {
    this.#send(hub, { scope: 'connection', connectionId }, message, []);
  }

  async connectionExists(hub: string, connectionId: string): Promise<boolean> {
    return this.#exists(hub, { scope: 'connection', connectionId });
  }

  async userExists(hub: string, userId: string): Promise<boolean> {
    return this.#exists(hub, { scope: 'user', userId });
  }

  async groupExists(hub: string, group: string): Promise<boolean> {
    return this.#exists(hub, { scope: 'group', group });
  }

  async userInGroup(hub: string, userId: string, group: string): Promise<boolean> {
    return (await this.#core.request({ type: 'userInGroup', hub, userId, group })).matched > 0;
  }

  async addConnectionToGroup(hub: string, connectionId: string, group: string): Promise<boolean> {
    const r = await this.#core.request({ type: 'addToGroups', hub, target: { scope: 'connection', connectionId }, groups: [group] });
    return r.matched > 0;
  }

  async removeConnectionFromGroup(hub: string, connectionId: string, group: string): Promise<void> {
    await this.#core.request({ type: 'removeFromGroups', hub, target: { scope: 'connection', connectionId }, groups: [group] });
  }

  async removeConnectionFromAllGroups(hub: string, connectionId: string): Promise<void> {
    await this.#core.request({ type: 'removeFromAllGroups', hub, target: { scope: 'connection', connectionId } });
  }

  async addUserToGroup(hub: string, userId: string, group: string, ttlSeconds: number | undefined): Promise<void> {
    await this.#core.request({ type: 'addUserToGroup', hub, userId, group, ttlSeconds });
  }

  async removeUserFromGroup(hub: string, userId: string, group: string): Promise<void> {
    await this.#core.request({ type: 'removeUserFromGroup', hub, userId, group });
  }

  async removeUserFromAllGroups(hub: string, userId: string): Promise<void> {
    await this.#core.request({ type: 'removeUserFromGroup', hub, userId });
  }

  async closeConnection(hub: string, connectionId: string, reason: string | undefined): Promise<boolean> {
    const r = await this.#core.request({ type: 'close', hub, target: { scope: 'connection', connectionId }, reason: reason ?? '' });
    return r.matched > 0;
  }

  async closeConnections(hub: string, target: CloseScope, excluded: readonly string[], reason: string | undefined): Promise<void> {
    const t: Target = target.scope === 'all' ? { scope: 'hub' } : target.scope === 'user' ? { scope: 'user', userId: target.userId } : { scope: 'group', group: target.group };
    await this.#core.request({ type: 'close', hub, target: t, excluded: [...excluded], reason: reason ?? '' });
  }

  listConnections(hub: string, after: string | undefined, limit: number): Promise<CommandResult> {
    return this.#core.request({ type: 'listConnections', hub, after, limit });
  }

  #send(hub: string, target: Target, message: SignalRMessage, excluded: readonly string[]): void {
    this.#core.publish({ type: 'send', hub, target, content: message.toContent(), excluded: excluded.length > 0 ? [...excluded] : undefined });
  }

  async #exists(hub: string, target: Target): Promise<boolean> {
    return (await this.#core.request({ type: 'exists', hub, target })).matched > 0;
  }
}
