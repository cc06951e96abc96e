import { Checkbox, Field, Input, Select } from '@fluentui/react-components';
import type { Auth } from '../../api/service.ts';
import type { Application } from '../../api/directory.ts';

/** The audiences the user can pick: each app's Application ID URIs, then its Application ID. */
export const audiencesOf = (apps: Application[]) => apps.flatMap((a) => [...(a.identifierUris ?? []), a.appId].map((v) => ({ value: v, label: `${a.displayName}: ${v}` })));

/**
 * "Authentication" of an event handler / upstream template: none, or Use Managed Identity with the
 * issued token's audience, typed (an Application ID URI or app id) or chosen from the tenant's apps.
 */
export function AuthEditor({ auth, apps, onChange, idPrefix }: { auth: Auth | undefined; apps: Application[]; onChange: (a: Auth) => void; idPrefix: string }) {
  const mi = auth?.type === 'ManagedIdentity';
  const resource = auth?.managedIdentity?.resource ?? '';
  const choices = audiencesOf(apps);
  return (
    <fieldset style={{ border: '1px solid #ddd', padding: 8, display: 'flex', flexDirection: 'column', gap: 8 }}>
      <legend>Authentication</legend>
      <Checkbox label="Use Managed Identity" checked={mi} data-testid={`${idPrefix}-use-mi`}
        onChange={(_, d) => onChange(d.checked ? { type: 'ManagedIdentity', managedIdentity: { resource } } : { type: 'None' })} />
      {mi && (
        <>
          <Field label="Audience (Application ID URI or Application ID)" hint="Becomes the aud claim of the token the service sends.">
            <Input value={resource} maxLength={400} data-testid={`${idPrefix}-audience`}
              onChange={(_, d) => onChange({ type: 'ManagedIdentity', managedIdentity: { resource: d.value } })} />
          </Field>
          {choices.length > 0 && (
            <Field label="Or select from existing applications">
              <Select value="" data-testid={`${idPrefix}-audience-app`} onChange={(_, d) => { if (d.value) onChange({ type: 'ManagedIdentity', managedIdentity: { resource: d.value } }); }}>
                <option value="">Select an application</option>
                {choices.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
              </Select>
            </Field>
          )}
        </>
      )}
    </fieldset>
  );
}
