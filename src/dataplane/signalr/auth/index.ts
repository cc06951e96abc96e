/** SignalR data-plane authentication: access keys, temporary keys, Entra + RBAC, client tokens. */
export { SignalRAccessKeyAuthenticator, isHmacToken } from './access-key.ts';
export { SignalREntraAuthenticator, SIGNALR_AUDIENCES } from './entra.ts';
export type { SignalREntraOptions } from './entra.ts';
export { InMemoryTemporaryKeyStore, TEMPORARY_KEY_LIFETIME_MS } from './temporary-keys.ts';
export type { TemporaryKey, TemporaryKeyStore, InMemoryTemporaryKeyStoreOptions } from './temporary-keys.ts';
export { tokenKeys, SIGNALR_TOKEN_ALGORITHMS } from './keys.ts';
export type { SignalRKeySource } from './keys.ts';
export { verifySignalRClientToken, mintSignalRClientToken, TRANSPORT_MASK } from './client-token.ts';
export type { SignalRClientIdentity, ClientTokenCheck, MintClientTokenOptions } from './client-token.ts';
export { restAudienceMatches, clientAudienceMatches } from './audience.ts';
export type { SignalRRequest } from './types.ts';
