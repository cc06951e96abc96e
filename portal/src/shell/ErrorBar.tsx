import { Link, MessageBar, MessageBarActions, MessageBarBody, MessageBarTitle } from '@fluentui/react-components';
import { denialIdIn } from '../api/denials.ts';
import { ApiError } from '../api/http.ts';
import { href } from './router.ts';

/**
 * ARM's AuthorizationFailed message names the caller's object id, the action and the scope
 * ("… with object id '…' does not have authorization to perform action '…' over scope '…' …").
 */
export function deniedOperation(error: unknown): { principalId: string; action: string; scope: string } | undefined {
  if (!(error instanceof ApiError) || error.status !== 403 || error.code !== 'AuthorizationFailed') return undefined;
  const m = /object id '([0-9a-f-]{36})'.*?perform action '([^']{1,512})' over scope '(\/[^']{0,2048})'/i.exec(error.message);
  return m ? { principalId: m[1]!, action: m[2]!, scope: m[3]! } : undefined;
}

/** Shows what Lapis answered, code and message as Azure words them (a 403 names the missing permission). */
export function ErrorBar({ error }: { error: unknown }) {
  if (!error) return null;
  const title = error instanceof ApiError ? `${error.status === 403 ? 'You do not have permission' : 'The request failed'} (${error.status} ${error.code})` : 'Something went wrong';
  const message = error instanceof Error ? error.message : String(error);
  const denied = deniedOperation(error);
  const denialId = error instanceof ApiError && (error.status === 401 || error.status === 403) ? denialIdIn(error.message) : undefined;
  return (
    <MessageBar intent="error" role="alert" data-testid="error-bar">
      <MessageBarBody><MessageBarTitle>{title}</MessageBarTitle> {message}</MessageBarBody>
      {(denied || denialId) && (
        <MessageBarActions>
          {denialId && <Link href={href('denied', denialId)} data-testid="why-denied">Why was this denied?</Link>}
          {denied && <Link href={href('iam', denied.scope, 'check', denied.principalId, denied.action)} aria-label="Why? Check access for this action">Why?</Link>}
        </MessageBarActions>
      )}
    </MessageBar>
  );
}
