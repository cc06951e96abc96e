import { Button, Field, Input, Tooltip } from '@fluentui/react-components';
import { useState } from 'react';

/** A read-only value with a copy button, as the Azure portal's Overview essentials. */
export function CopyField({ label, value, testId }: { label: string; value: string; testId: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(value).catch(() => {});
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <Field label={label}>
      <div style={{ display: 'flex', gap: 4 }}>
        <Input readOnly value={value} data-testid={testId} style={{ minWidth: 360 }} />
        <Tooltip content={copied ? 'Copied' : 'Copy to clipboard'} relationship="label">
          <Button onClick={() => void copy()} aria-label={`${copied ? 'Copied' : 'Copy'} ${label}`}>{copied ? 'Copied' : 'Copy'}</Button>
        </Tooltip>
      </div>
    </Field>
  );
}
