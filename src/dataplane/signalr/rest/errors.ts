/**
 * The SignalR REST API's errors. They reuse the data plane's error class and catalogue (same
 * body `{"code","message","target"}` = Azure's ErrorDetail, same `x-ms-error-code` header) and add
 * the codes the .NET Management SDK looks for on a 404 before it treats the answer as a normal
 * "no" (reference §1.2; values from the SDK's Constants): any other 404 becomes an exception there.
 */
import { CODES, DataPlaneError, dataPlaneErrors } from '../../webpubsub/errors.ts';

export { DataPlaneError, AuthenticationError, AuthorizationError } from '../../webpubsub/errors.ts';

/** Web PubSub's catalogue without what only its client endpoint answers (reliable-session recovery). */
const { sessionUnavailable: webPubSubOnly, ...SHARED_CODES } = CODES;
void webPubSubOnly;

export const SIGNALR_CODES = {
  ...SHARED_CODES,
  connectionNotExisted: 'Warning.Connection.NotExisted',
  userNotExisted: 'Warning.User.NotExisted',
  groupNotExisted: 'Warning.Group.NotExisted',
  userNotInGroup: 'Info.User.NotInGroup',
  connectionNotExistedError: 'Error.Connection.NotExisted',
  unsupportedApiVersion: 'Error.UnsupportedApiVersion',
} as const;

export const signalRErrors = {
  ...dataPlaneErrors,
  unsupportedApiVersion: (message: string) => new DataPlaneError(400, SIGNALR_CODES.unsupportedApiVersion, message, 'api-version'),
  connectionNotExisted: (id: string) => new DataPlaneError(404, SIGNALR_CODES.connectionNotExisted, `Connection '${clip(id)}' does not exist.`),
  userNotExisted: (user: string) => new DataPlaneError(404, SIGNALR_CODES.userNotExisted, `User '${clip(user)}' has no connection.`),
  groupNotExisted: (group: string) => new DataPlaneError(404, SIGNALR_CODES.groupNotExisted, `Group '${clip(group)}' has no connection.`),
  userNotInGroup: (user: string, group: string) => new DataPlaneError(404, SIGNALR_CODES.userNotInGroup, `User '${clip(user)}' is not in group '${clip(group)}'.`),
  /** PUT of an unknown connection into a group: an error, not a "no". */
  connectionNotExistedError: (id: string) => new DataPlaneError(404, SIGNALR_CODES.connectionNotExistedError, `Connection '${clip(id)}' does not exist.`),
};

/** Ids echoed in messages are cut short: a message never grows with the caller's input. */
function clip(s: string): string {
  return s.length > 128 ? `${s.slice(0, 128)}…` : s;
}
