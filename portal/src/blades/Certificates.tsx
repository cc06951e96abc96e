import { Button, Field, Input, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useState } from 'react';
import { deleteCertificate, uploadCertificate, type Application } from '../api/directory.ts';
import { ErrorBar } from '../shell/ErrorBar.tsx';
import { useSession } from '../shell/context.ts';

const MAX_FILE = 48 * 1024;

/** A picked .cer/.crt/.pem file as Graph takes it: PEM text as is, DER as base64. */
async function certificateText(file: File): Promise<string> {
  if (file.size > MAX_FILE) throw new Error(`The file is larger than ${MAX_FILE / 1024} KiB: pick a certificate file (public key only).`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('-----BEGIN')) {
    if (/PRIVATE KEY-----/.test(text)) throw new Error('The file holds a private key: upload the certificate (public key) only.');
    return text;
  }
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Certificates & secrets → Certificates: Upload certificate (.cer, .pem, .crt), the list, Delete. */
export function Certificates({ id, app, loading, reload }: { id: string; app: Application | undefined; loading: boolean; reload: () => void }) {
  const session = useSession();
  const [uploading, setUploading] = useState(false);
  const [file, setFile] = useState<File>();
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const add = async () => {
    if (!file) return;
    setBusy(true);
    setError(undefined);
    try {
      await uploadCertificate(session, id, await certificateText(file), description.trim());
      setUploading(false);
      setFile(undefined);
      setDescription('');
      reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (keyId: string, name: string) => {
    if (!confirm(`Delete the certificate "${name}"? Clients signing in with it stop working at once.`)) return;
    setError(undefined);
    try {
      await deleteCertificate(session, id, keyId);
      reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-label="Certificates" style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
      <p style={{ margin: 0 }}>Certificates can be used as secrets to prove the application's identity when requesting a token. Also can be referred to as public keys.</p>
      <div><Button appearance="primary" onClick={() => setUploading(true)} disabled={uploading || !app}>Upload certificate</Button></div>
      {uploading && (
        <form aria-label="Upload certificate" onSubmit={(e) => { e.preventDefault(); void add(); }} style={{ display: 'flex', flexDirection: 'column', gap: 8, maxWidth: 480, padding: 12, border: '1px solid #ddd' }}>
          <Field label="Select a file" hint="Upload a certificate (public key) with one of the following file types: .cer, .pem, .crt" required>
            <input type="file" accept=".cer,.pem,.crt" onChange={(e) => setFile(e.target.files?.[0])} data-testid="certificate-file" aria-label="Certificate file" />
          </Field>
          <Field label="Description"><Input value={description} onChange={(_, d) => setDescription(d.value)} maxLength={120} data-testid="certificate-description" /></Field>
          <div style={{ display: 'flex', gap: 8 }}><Button appearance="primary" type="submit" disabled={busy || !file}>Add</Button><Button onClick={() => setUploading(false)}>Cancel</Button></div>
        </form>
      )}
      <ErrorBar error={error} />
      {loading && <Spinner label="Loading" />}
      {app && (
        <Table aria-label="Certificates">
          <TableHeader><TableRow><TableHeaderCell>Thumbprint</TableHeaderCell><TableHeaderCell>Description</TableHeaderCell><TableHeaderCell>Start date</TableHeaderCell><TableHeaderCell>Expires</TableHeaderCell><TableHeaderCell>Certificate ID</TableHeaderCell><TableHeaderCell><span className="visually-hidden">Actions</span></TableHeaderCell></TableRow></TableHeader>
          <TableBody>
            {(app.keyCredentials ?? []).map((k) => (
              <TableRow key={k.keyId} data-testid="certificate-row">
                <TableCell>{k.customKeyIdentifier}</TableCell>
                <TableCell>{k.displayName}</TableCell>
                <TableCell>{k.startDateTime.slice(0, 10)}</TableCell>
                <TableCell>{k.endDateTime.slice(0, 10)}</TableCell>
                <TableCell>{k.keyId}</TableCell>
                <TableCell><Button size="small" onClick={() => void remove(k.keyId, k.displayName ?? k.keyId)} aria-label={`Delete certificate ${k.displayName ?? k.keyId}`}>Delete</Button></TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {app && !app.keyCredentials?.length && <p style={{ margin: 0 }}>No certificates have been added for this application.</p>}
    </section>
  );
}
