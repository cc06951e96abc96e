/**
 * The vault surface's one error catalogue. Key Vault's shape:
 * `{"error":{"code":"…","message":"…","innererror":{"code":"…"}}}`, which the SDK turns into a
 * RestError (`code` = error.code, `statusCode`, `details.error.innerError.code`). Every code here is
 * listed on docs/key-vault.md.
 */
export class VaultError extends Error {
  readonly status: number;
  readonly code: string;
  readonly inner: string | undefined;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, inner?: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'VaultError';
    this.status = status;
    this.code = code;
    this.inner = inner;
    this.headers = headers;
  }

  body(): Record<string, unknown> {
    return { error: { code: this.code, message: this.message, ...(this.inner ? { innererror: { code: this.inner } } : {}) } };
  }
}

export const VAULT_RESOURCE = 'https://vault.azure.net';

/** Azure's help link in Key Vault's access-policy refusals. */
const POLICY_HELP = 'https://go.microsoft.com/fwlink/?linkid=2125287';

export const KV = {
  // ---- 400 BadParameter ----
  badParameter: (message: string) => new VaultError(400, 'BadParameter', message),
  missingApiVersion: () => new VaultError(400, 'BadParameter', 'The api-version query parameter is missing.'),
  badApiVersion: (v: string, latest: string) => new VaultError(400, 'BadParameter', `The specified version (${v.slice(0, 40)}) is not recognized. Consider using the latest supported version (${latest}).`),
  badName: (name: string) => new VaultError(400, 'BadParameter', `The request URI contains an invalid name: ${name.slice(0, 130)}`),
  httpsRequired: () => new VaultError(400, 'BadParameter', 'Key Vault requires HTTPS: use the vault\'s https:// URI.'),
  tooManySecrets: (max: number) => new VaultError(400, 'BadParameter', `A Lapis vault holds at most ${max} secrets (deleted ones count until purged).`, 'TooManySecrets'),
  tooManyVersions: (name: string, max: number) => new VaultError(400, 'BadParameter', `The secret ${name.slice(0, 127)} already has ${max} versions, the most a Lapis vault keeps: delete and purge it to start again.`, 'TooManyVersions'),
  // ---- 401 ----
  unauthorized: (message: string, challenge: Record<string, string>) => new VaultError(401, 'Unauthorized', message, undefined, challenge),
  // ---- 403 Forbidden ----
  forbiddenByRbac: (lines: string[]) => new VaultError(403, 'Forbidden', lines.join('\r\n'), 'ForbiddenByRbac'),
  /** An access-policy vault: Key Vault's wording, with the permission (e.g. `secrets get`) the caller lacks. */
  forbiddenByPolicy: (caller: string, permission: string, vault: string) => new VaultError(403, 'Forbidden',
    `The user, group or application '${caller}' does not have ${permission} permission on key vault '${vault}'. For help resolving this issue, please see ${POLICY_HELP}`, 'ForbiddenByPolicy'),
  disabled: () => new VaultError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled'),
  // ---- 404 ----
  secretNotFound: (name: string) => new VaultError(404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`),
  versionNotFound: (name: string, version: string) => new VaultError(404, 'SecretNotFound', `A secret with (name/id) ${name}/${version} was not found in this key vault. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`),
  deletedNotFound: (name: string) => new VaultError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`),
  notFound: () => new VaultError(404, 'NotFound', 'The requested path does not exist on this vault.'),
  // ---- others ----
  methodNotAllowed: () => new VaultError(405, 'BadParameter', 'The requested HTTP method is not supported on this path.'),
  deletedButRecoverable: (name: string) => new VaultError(409, 'Conflict', `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`, 'ObjectIsDeletedButRecoverable'),
  tooLarge: (limit: number) => new VaultError(413, 'RequestTooLarge', `The request body exceeds ${limit} bytes.`),
  internal: () => new VaultError(500, 'InternalServerError', 'The vault could not process the request.'),
  notImplemented: (what: string) => new VaultError(501, 'NotImplemented', what),
  shuttingDown: () => new VaultError(503, 'ServiceUnavailable', 'The vault is shutting down.'),
};
