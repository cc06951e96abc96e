/**
 * Key Vault's error shape: `{"error":{"code":"…","message":"…","innererror":{"code":"…"}}}`, which
 * the SDK turns into a RestError (`code` = error.code, `statusCode`, `details.error`).
 */
export class VaultError extends Error {
  readonly status: number;
  readonly code: string;
  readonly inner: string | undefined;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, inner?: string, headers: Record<string, string> = {}) {
    super(message);
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

export const KV = {
  badParameter: (message: string) => new VaultError(400, 'BadParameter', message),
  missingApiVersion: () => new VaultError(400, 'BadParameter', 'The api-version query parameter is missing.'),
  badApiVersion: (v: string, latest: string) => new VaultError(400, 'BadParameter', `The specified version (${v.slice(0, 40)}) is not recognized. Consider using the latest supported version (${latest}).`),
  badName: (name: string) => new VaultError(400, 'BadParameter', `The request URI contains an invalid name: ${name.slice(0, 130)}`),
  secretNotFound: (name: string) => new VaultError(404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`),
  versionNotFound: (name: string, version: string) => new VaultError(404, 'SecretNotFound', `A secret with (name/id) ${name}/${version} was not found in this key vault. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`),
  deletedNotFound: (name: string) => new VaultError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`),
  deletedButRecoverable: (name: string) => new VaultError(409, 'Conflict', `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`, 'ObjectIsDeletedButRecoverable'),
  disabled: () => new VaultError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled'),
  notImplemented: (what: string) => new VaultError(501, 'NotImplemented', what),
  methodNotAllowed: () => new VaultError(405, 'BadParameter', 'The requested HTTP method is not supported on this path.'),
  notFound: () => new VaultError(404, 'NotFound', 'The requested path does not exist on this vault.'),
  httpsRequired: () => new VaultError(400, 'BadParameter', 'Key Vault requires HTTPS: use the vault\'s https:// URI.'),
  tooLarge: (limit: number) => new VaultError(413, 'RequestTooLarge', `The request body exceeds ${limit} bytes.`),
};
