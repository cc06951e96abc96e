export type { DataKind, Payload, Target, Message, Content, WebPubSubContent, InvocationContent, EncodedContent, CloseRequest, ConnectionSink } from './types.ts';
export type { ClusterCommand, CommandResult, ConnectionInfo, GroupMember } from './commands.ts';
export type { FilterSubject, ConnectionFilter, ConnectionObserver } from './connection.ts';
export { Connection } from './connection.ts';
export { Hub } from './hub.ts';
export { MessagingCore, ConnectionLimitError } from './core.ts';
export type { MessagingCoreOptions } from './core.ts';
export { PermissionSet, PermissionLimitError, GROUP_ACTIONS, MAX_LITERAL_RULES } from './permissions.ts';
export type { GroupAction } from './permissions.ts';
