import { Checkbox, Field, Input, MessageBar, MessageBarBody } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { CopyField } from '../../shell/CopyField.tsx';
import { HUB_NAME, clientAccessUrl, splitList } from './clientUrl.ts';

/** The roles Azure's generator offers (any other role string can be typed in "Other roles"). */
const COMMON_ROLES = [
  { role: 'webpubsub.sendToGroup', label: 'Send To Groups' },
  { role: 'webpubsub.joinLeaveGroup', label: 'Join/Leave Groups' },
];

/**
 * Azure's Keys → Client URL Generator: hub, user id, roles, groups and token lifetime give a
 * client access URL signed with the access key, computed here in the browser (nothing is stored).
 */
export function ClientUrlGenerator({ connectionString, localAuthDisabled }: { connectionString: string; localAuthDisabled: boolean }) {
  const [hub, setHub] = useState('sample_hub');
  const [userId, setUserId] = useState('');
  const [checked, setChecked] = useState<string[]>([]);
  const [otherRoles, setOtherRoles] = useState('');
  const [groups, setGroups] = useState('');
  const [minutes, setMinutes] = useState('60');
  const [url, setUrl] = useState('');
  const minutesValue = Number(minutes);
  const hubValid = HUB_NAME.test(hub);
  const minutesValid = Number.isInteger(minutesValue) && minutesValue >= 1 && minutesValue <= 60 * 24 * 365;
  useEffect(() => {
    let live = true;
    if (!hubValid || !minutesValid) { setUrl(''); return; }
    clientAccessUrl(connectionString, { hub, userId: userId.trim(), roles: [...checked, ...splitList(otherRoles)], groups: splitList(groups), minutes: minutesValue })
      .then((u) => { if (live) setUrl(u); }, () => { if (live) setUrl(''); });
    return () => { live = false; };
  }, [connectionString, hub, userId, checked.join(','), otherRoles, groups, minutes]);
  const toggle = (role: string, on: boolean) => setChecked((c) => (on ? [...c, role] : c.filter((r) => r !== role)));
  return (
    <section aria-label="Client URL Generator" style={{ display: 'flex', flexDirection: 'column', gap: 8, padding: 12, border: '1px solid #ddd' }}>
      <h2 style={{ margin: 0, fontSize: 16 }}>Client URL Generator</h2>
      <p style={{ margin: 0 }}>A client access URL for a WebSocket client, signed with the primary key. Values entered here are not stored.</p>
      {localAuthDisabled && (
        <MessageBar intent="warning"><MessageBarBody>Local authentication (access keys) is disabled for this resource: URLs signed with a key are refused. Use :generateToken with Microsoft Entra ID instead.</MessageBarBody></MessageBar>
      )}
      <Field label="Hub" validationState={hubValid ? 'none' : 'error'} validationMessage={hubValid ? undefined : 'Start with a letter; letters, digits and _`,.[] only (at most 128).'}>
        <Input value={hub} onChange={(_, d) => setHub(d.value)} maxLength={128} data-testid="gen-hub" />
      </Field>
      <Field label="User ID" hint="Optional: the user the connection belongs to.">
        <Input value={userId} onChange={(_, d) => setUserId(d.value)} maxLength={1024} data-testid="gen-user" />
      </Field>
      <fieldset style={{ border: 'none', margin: 0, padding: 0 }}>
        <legend style={{ fontWeight: 600 }}>Roles</legend>
        {COMMON_ROLES.map((r) => <Checkbox key={r.role} label={`${r.label} (${r.role})`} checked={checked.includes(r.role)} onChange={(_, d) => toggle(r.role, d.checked === true)} />)}
      </fieldset>
      <Field label="Other roles" hint="Comma-separated, e.g. webpubsub.sendToGroup.group1, webpubsub.joinLeaveGroup.group1">
        <Input value={otherRoles} onChange={(_, d) => setOtherRoles(d.value)} maxLength={2048} data-testid="gen-roles" />
      </Field>
      <Field label="Groups" hint="Comma-separated: groups the connection joins when it connects.">
        <Input value={groups} onChange={(_, d) => setGroups(d.value)} maxLength={2048} data-testid="gen-groups" />
      </Field>
      <Field label="Token lifetime (minutes)" validationState={minutesValid ? 'none' : 'error'} validationMessage={minutesValid ? undefined : 'A whole number of minutes, at least 1.'}>
        <Input type="number" min={1} value={minutes} onChange={(_, d) => setMinutes(d.value)} data-testid="gen-minutes" />
      </Field>
      <CopyField label="Client Access URL" value={url} testId="gen-url" />
    </section>
  );
}
