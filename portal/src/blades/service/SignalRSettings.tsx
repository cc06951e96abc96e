import { Button, Field, Input, Radio, RadioGroup, Spinner } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { listApplications } from '../../api/directory.ts';
import { getService, patchService, type UpstreamTemplate } from '../../api/service.ts';
import { ErrorBar } from '../../shell/ErrorBar.tsx';
import { useSession } from '../../shell/context.ts';
import { useLoad } from '../../shell/useLoad.ts';
import { AuthEditor } from './AuthEditor.tsx';

const blankTemplate = (): UpstreamTemplate => ({ urlTemplate: '', hubPattern: '*', eventPattern: '*', categoryPattern: '*', auth: { type: 'None' } });

/** SignalR Settings: Service mode (Default / Serverless) and the upstream URL templates, saved by one PATCH. */
export function SignalRSettings({ id }: { id: string }) {
  const session = useSession();
  const r = useLoad(() => getService(session, id), [id]);
  const apps = useLoad(() => listApplications(session).catch(() => []), []);
  const [mode, setMode] = useState('Default');
  const [templates, setTemplates] = useState<UpstreamTemplate[]>([]);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (!r.data) return;
    setMode(r.data.properties.features?.find((f) => f.flag.toLowerCase() === 'servicemode')?.value ?? 'Default');
    setTemplates(r.data.properties.upstream?.templates ?? []);
  }, [r.data]);
  const edit = (i: number, t: Partial<UpstreamTemplate>) => setTemplates((all) => all.map((x, j) => (j === i ? { ...x, ...t } : x)));
  const save = async () => {
    setError(undefined);
    setSaved(false);
    try {
      await patchService(session, id, { properties: { features: [{ flag: 'ServiceMode', value: mode, properties: {} }], upstream: { templates } } });
      setSaved(true);
      r.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form aria-label="SignalR settings" onSubmit={(e) => { e.preventDefault(); void save(); }} style={{ display: 'flex', flexDirection: 'column', gap: 8, maxWidth: 720 }}>
      {r.loading && <Spinner label="Loading" />}
      <Field label="Service mode">
        <RadioGroup value={mode} onChange={(_, d) => setMode(d.value)} data-testid="service-mode">
          <Radio value="Default" label="Default" />
          <Radio value="Serverless" label="Serverless" />
        </RadioGroup>
      </Field>
      <h2 style={{ margin: 0, fontSize: 18 }}>Upstream URL templates</h2>
      {templates.map((t, i) => (
        <section key={i} aria-label={`Upstream template ${i + 1}`} style={{ display: 'flex', flexDirection: 'column', gap: 8, padding: 8, border: '1px dashed #bbb' }}>
          <Field label="URL template" hint="Placeholders {hub}, {category}, {event}"><Input value={t.urlTemplate} maxLength={2000} onChange={(_, d) => edit(i, { urlTemplate: d.value })} data-testid={`upstream-${i}-url`} /></Field>
          <Field label="Hub rules"><Input value={t.hubPattern ?? ''} maxLength={400} onChange={(_, d) => edit(i, { hubPattern: d.value })} /></Field>
          <Field label="Event rules"><Input value={t.eventPattern ?? ''} maxLength={400} onChange={(_, d) => edit(i, { eventPattern: d.value })} /></Field>
          <Field label="Category rules" hint="*, connections, messages"><Input value={t.categoryPattern ?? ''} maxLength={400} onChange={(_, d) => edit(i, { categoryPattern: d.value })} /></Field>
          <AuthEditor auth={t.auth} apps={apps.data ?? []} idPrefix={`upstream-${i}`} onChange={(auth) => edit(i, { auth })} />
          <div><Button size="small" onClick={() => setTemplates((all) => all.filter((_, j) => j !== i))}>Remove template</Button></div>
        </section>
      ))}
      <div><Button onClick={() => setTemplates((all) => [...all, blankTemplate()])}>Add upstream template</Button></div>
      <ErrorBar error={r.error ?? error} />
      {saved && <p role="status" style={{ margin: 0 }}>Saved.</p>}
      <div><Button appearance="primary" type="submit" disabled={!r.data}>Save</Button></div>
    </form>
  );
}
