/**
 * The Azure SignalR service protocol messages (app server ⇄ service), as Microsoft.Azure.SignalR's
 * ServiceProtocol writes them. Each message is one MessagePack array whose first element is the
 * numeric type below; `kind` is the readable discriminator of the decoded object.
 * Direction notes: "app→svc" = sent by the app server (the SDK), "svc→app" = sent by the service.
 */

export const SERVICE_MESSAGE_TYPES = {
  HandshakeRequest: 1, // app→svc
  HandshakeResponse: 2, // svc→app
  Ping: 3, // both
  OpenConnection: 4, // svc→app
  CloseConnection: 5, // both
  ConnectionData: 6, // both
  MultiConnectionData: 7, // app→svc
  UserData: 8,
  MultiUserData: 9,
  Broadcast: 10,
  JoinGroup: 11,
  LeaveGroup: 12,
  GroupBroadcast: 13,
  MultiGroupBroadcast: 14,
  ServiceError: 15, // svc→app
  UserJoinGroup: 16,
  UserLeaveGroup: 17,
  JoinGroupWithAck: 18,
  LeaveGroupWithAck: 19,
  Ack: 20, // svc→app
  CheckUserInGroupWithAck: 21,
  ServiceEvent: 22, // svc→app
  CheckGroupExistenceWithAck: 23,
  CheckConnectionExistenceWithAck: 24,
  CheckUserExistenceWithAck: 25,
  UserJoinGroupWithAck: 26,
  UserLeaveGroupWithAck: 27,
  AccessKeyRequest: 28, // app→svc
  AccessKeyResponse: 29, // svc→app
  CloseConnectionWithAck: 30,
  CloseConnectionsWithAck: 31,
  CloseUserConnectionsWithAck: 32,
  CloseGroupConnectionsWithAck: 33,
  ClientInvocation: 34, // app→svc
  ClientCompletion: 35, // both
  ErrorCompletion: 36, // both
  ServiceMapping: 37, // svc→app
  ConnectionReconnect: 38, // app→svc
  ConnectionFlowControl: 39, // both
  GroupMemberQuery: 40, // app→svc; answered by an Ack whose payload holds the page
  RefreshAuth: 41, // app→svc (with ack)
  GetConnectionClaims: 42, // app→svc (with ack; claims come back in the Ack payload)
  UpdateConnectionClaims: 43, // app→svc
} as const;

export type ServiceMessageKind = keyof typeof SERVICE_MESSAGE_TYPES;

/** Names by numeric type, for logs. */
export const SERVICE_MESSAGE_NAMES: ReadonlyMap<number, ServiceMessageKind> = new Map(
  Object.entries(SERVICE_MESSAGE_TYPES).map(([name, id]) => [id, name as ServiceMessageKind]),
);

/** Ack status codes (AckHandler: Ok → true, NotFound → false, the others fail the call). */
export const ACK_STATUS = { Ok: 1, NotFound: 2, Timeout: 3, InternalServerError: 4 } as const;
/** HandshakeRequest connection types: only Default and OnDemand connections carry clients. */
export const SERVER_CONNECTION_TYPE = { Default: 0, OnDemand: 1, Weak: 2 } as const;
/** Extension member 5 on ConnectionData sent by the SDK. */
export const DATA_MESSAGE_TYPE = { Handshake: 1, Invocation: 2, Other: 3, Close: 4 } as const;
export const SERVICE_EVENT_OBJECT_TYPE = { ServiceInstance: 0, Connection: 1, User: 2, Group: 3, ServerConnection: 4 } as const;
export const SERVICE_EVENT_KIND = { Reloading: 0, Invalid: 1, NotExisted: 2, BufferFull: 3 } as const;
export const FLOW_CONTROL_CONNECTION_TYPE = { Client: 1, Server: 2 } as const;
export const FLOW_CONTROL_OPERATION = { Pause: 1, PauseAck: 2, Resume: 3, Offline: 4 } as const;

/**
 * The extension map (int key → value) most messages end with. Only members present on the wire are
 * set; unknown keys are skipped when reading. Key numbers: 1 tracingId (uint64, may exceed 2^53),
 * 2 ttl, 3 protocol (hub protocol of the client, required on OpenConnection), 4 filter,
 * 5 dataMessageType, 6 isPartial.
 */
export interface ServiceExtensions {
  tracingId?: bigint;
  ttl?: number;
  protocol?: string;
  filter?: string;
  dataMessageType?: number;
  isPartial?: boolean;
}

/** Payloads keyed by hub protocol name ("json", "messagepack", "blazorpack"): complete framed hub messages. */
export type Payloads = Map<string, Uint8Array>;
/** Claims in wire order; a type may repeat (several roles). */
export interface Claim { type: string; value: string }
/**
 * Request headers: name → values (a nil value is kept as null, as the SDK's StringValues keeps it).
 * Names must be unique ignoring case (the SDK reads them into a case-insensitive dictionary).
 */
export type Headers = Map<string, (string | null)[]>;

type Ext = { ext: ServiceExtensions };

export interface HandshakeRequestMessage extends Ext { kind: 'HandshakeRequest'; version: number; connectionType: number; target: string; migrationLevel: number; allowStatefulReconnects: boolean }
export interface HandshakeResponseMessage extends Ext { kind: 'HandshakeResponse'; errorMessage: string | null; connectionId?: string | null }
/** `messages` is a flat key/value list (["status","1"], ["#client","3"]...); an empty list is the plain keep-alive ping. */
export interface PingMessage { kind: 'Ping'; messages: (string | null)[] }
export interface OpenConnectionMessage extends Ext { kind: 'OpenConnection'; connectionId: string; claims: Claim[]; headers: Headers; queryString: string | null }
export interface CloseConnectionMessage extends Ext { kind: 'CloseConnection'; connectionId: string; errorMessage: string; headers: Headers }
export interface ConnectionDataMessage extends Ext { kind: 'ConnectionData'; connectionId: string; payload: Uint8Array }
export interface MultiConnectionDataMessage extends Ext { kind: 'MultiConnectionData'; connectionIds: string[]; payloads: Payloads }
export interface UserDataMessage extends Ext { kind: 'UserData'; userId: string; payloads: Payloads }
export interface MultiUserDataMessage extends Ext { kind: 'MultiUserData'; userIds: string[]; payloads: Payloads }
export interface BroadcastMessage extends Ext { kind: 'Broadcast'; excludedConnectionIds: string[]; payloads: Payloads }
export interface JoinGroupMessage extends Ext { kind: 'JoinGroup'; connectionId: string; groupName: string }
export interface LeaveGroupMessage extends Ext { kind: 'LeaveGroup'; connectionId: string; groupName: string | null }
export interface GroupBroadcastMessage extends Ext { kind: 'GroupBroadcast'; groupName: string; excludedConnectionIds: string[]; payloads: Payloads; excludedUserIds: string[]; callerUserId: string | null }
export interface MultiGroupBroadcastMessage extends Ext { kind: 'MultiGroupBroadcast'; groupNames: string[]; payloads: Payloads }
export interface ServiceErrorMessage { kind: 'ServiceError'; errorMessage: string }
export interface UserJoinGroupMessage extends Ext { kind: 'UserJoinGroup'; userId: string; groupName: string }
export interface UserLeaveGroupMessage extends Ext { kind: 'UserLeaveGroup'; userId: string; groupName: string | null }
export interface JoinGroupWithAckMessage extends Ext { kind: 'JoinGroupWithAck'; connectionId: string; groupName: string; ackId: number }
export interface LeaveGroupWithAckMessage extends Ext { kind: 'LeaveGroupWithAck'; connectionId: string; groupName: string | null; ackId: number }
/**
 * `payload` is the 6th element, carrying query results (group members). Absent (undefined) = the
 * 5-element form, which 1.34 reads with a null Payload; null = an explicit nil, which 1.34 itself
 * writes but reads back as an empty, non-null Payload. Plain acks should leave it out.
 */
export interface AckMessage extends Ext { kind: 'Ack'; ackId: number; status: number; message: string; payload?: Uint8Array | null }
export interface CheckUserInGroupWithAckMessage extends Ext { kind: 'CheckUserInGroupWithAck'; userId: string; groupName: string; ackId: number }
export interface ServiceEventMessage extends Ext { kind: 'ServiceEvent'; objectType: number; id: string | null; eventKind: number; message: string }
export interface CheckGroupExistenceWithAckMessage extends Ext { kind: 'CheckGroupExistenceWithAck'; groupName: string; ackId: number }
export interface CheckConnectionExistenceWithAckMessage extends Ext { kind: 'CheckConnectionExistenceWithAck'; connectionId: string; ackId: number }
export interface CheckUserExistenceWithAckMessage extends Ext { kind: 'CheckUserExistenceWithAck'; userId: string; ackId: number }
export interface UserJoinGroupWithAckMessage extends Ext { kind: 'UserJoinGroupWithAck'; userId: string; groupName: string; ackId: number }
export interface UserLeaveGroupWithAckMessage extends Ext { kind: 'UserLeaveGroupWithAck'; userId: string; groupName: string | null; ackId: number }
/** `token` is the app's Entra access token; `kid` nil unless it already holds a key. */
export interface AccessKeyRequestMessage extends Ext { kind: 'AccessKeyRequest'; token: string | null; kid: string | null }
export interface AccessKeyResponseMessage extends Ext { kind: 'AccessKeyResponse'; kid: string | null; accessKey: string | null; errorType: string | null; errorMessage: string | null }
export interface CloseConnectionWithAckMessage extends Ext { kind: 'CloseConnectionWithAck'; connectionId: string; reason: string | null; ackId: number }
export interface CloseConnectionsWithAckMessage extends Ext { kind: 'CloseConnectionsWithAck'; reason: string | null; ackId: number; excludedConnectionIds: string[] }
export interface CloseUserConnectionsWithAckMessage extends Ext { kind: 'CloseUserConnectionsWithAck'; userId: string; reason: string | null; ackId: number; excludedConnectionIds: string[] }
export interface CloseGroupConnectionsWithAckMessage extends Ext { kind: 'CloseGroupConnectionsWithAck'; groupName: string; reason: string | null; ackId: number; excludedConnectionIds: string[] }
export interface ClientInvocationMessage extends Ext { kind: 'ClientInvocation'; invocationId: string; connectionId: string; callerServerId: string; payloads: Payloads }
export interface ClientCompletionMessage extends Ext { kind: 'ClientCompletion'; invocationId: string; connectionId: string; callerServerId: string; protocol: string | null; payload: Uint8Array }
export interface ErrorCompletionMessage extends Ext { kind: 'ErrorCompletion'; invocationId: string; connectionId: string; callerServerId: string; error: string }
export interface ServiceMappingMessage extends Ext { kind: 'ServiceMapping'; invocationId: string; connectionId: string; instanceId: string }
export interface ConnectionReconnectMessage extends Ext { kind: 'ConnectionReconnect'; connectionId: string }
export interface ConnectionFlowControlMessage extends Ext { kind: 'ConnectionFlowControl'; connectionId: string; connectionType: number; operation: number }
/** 1.34 layout `[40, ext, groupName, ackId, top?, continuationToken?, maxPageSize?]` (ext first); the answer is an Ack with a payload. */
export interface GroupMemberQueryMessage extends Ext { kind: 'GroupMemberQuery'; groupName: string; ackId: number; top: number | null; continuationToken: string | null; maxPageSize: number | null }
/** `[41, connectionToken, claims, expireTime (MessagePack timestamp), ackId, ext]`. */
export interface RefreshAuthMessage extends Ext { kind: 'RefreshAuth'; connectionToken: string; claims: Claim[]; expireTime: Date; ackId: number }
/** `[42, connectionToken, ackId, ext]`. */
export interface GetConnectionClaimsMessage extends Ext { kind: 'GetConnectionClaims'; connectionToken: string; ackId: number }
/** `[43, connectionId, claims, ext]`. */
export interface UpdateConnectionClaimsMessage extends Ext { kind: 'UpdateConnectionClaims'; connectionId: string; claims: Claim[] }

export type ServiceMessage =
  | HandshakeRequestMessage | HandshakeResponseMessage | PingMessage | OpenConnectionMessage | CloseConnectionMessage
  | ConnectionDataMessage | MultiConnectionDataMessage | UserDataMessage | MultiUserDataMessage | BroadcastMessage
  | JoinGroupMessage | LeaveGroupMessage | GroupBroadcastMessage | MultiGroupBroadcastMessage | ServiceErrorMessage
  | UserJoinGroupMessage | UserLeaveGroupMessage | JoinGroupWithAckMessage | LeaveGroupWithAckMessage | AckMessage
  | CheckUserInGroupWithAckMessage | ServiceEventMessage | CheckGroupExistenceWithAckMessage
  | CheckConnectionExistenceWithAckMessage | CheckUserExistenceWithAckMessage | UserJoinGroupWithAckMessage
  | UserLeaveGroupWithAckMessage | AccessKeyRequestMessage | AccessKeyResponseMessage | CloseConnectionWithAckMessage
  | CloseConnectionsWithAckMessage | CloseUserConnectionsWithAckMessage | CloseGroupConnectionsWithAckMessage
  | ClientInvocationMessage | ClientCompletionMessage | ErrorCompletionMessage | ServiceMappingMessage
  | ConnectionReconnectMessage | ConnectionFlowControlMessage | GroupMemberQueryMessage | RefreshAuthMessage
  | GetConnectionClaimsMessage | UpdateConnectionClaimsMessage;

/** Messages the SDK expects an Ack for (status NotFound included), with their ack id. */
export type AckableMessage = Exclude<Extract<ServiceMessage, { ackId: number }>, AckMessage>;
