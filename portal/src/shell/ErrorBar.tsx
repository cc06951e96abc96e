import { MessageBar, MessageBarBody, MessageBarTitle } from '@fluentui/react-components';
import { ApiError } from '../api/http.ts';

/** Shows what Lapis answered, code and message as Azure words them (a 403 names the missing permission). */
export function ErrorBar({ error }: { error: unknown }) {
  if (!error) return null;
  const title = error instanceof ApiError ? `${error.status === 403 ? 'You do not have permission' : 'The request failed'} (${error.status} ${error.code})` : 'Something went wrong';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <MessageBar intent="error" role="alert" data-testid="error-bar">
      <MessageBarBody><MessageBarTitle>{title}</MessageBarTitle> {message}</MessageBarBody>
    </MessageBar>
  );
}
