import { MessageBar, MessageBarBody } from '@fluentui/react-components';
import type { Vault } from '../../api/vault.ts';

/** Which permission model decides the data-plane calls of this blade (as Azure's portal says). */
export function PolicyModelNote({ vault }: { vault: Vault }) {
  return (
    <MessageBar intent="info" data-testid="permission-model-note">
      <MessageBarBody>
        {vault.properties.enableRbacAuthorization
          ? 'This vault uses Azure role-based access control: your role assignments (Key Vault Secrets Officer, Secrets User, Reader…) decide what you can do here.'
          : 'This vault uses the Vault access policy permission model: your access policy\'s secret permissions decide what you can do here.'}
      </MessageBarBody>
    </MessageBar>
  );
}
