/** docs/signalr.md lists every SignalR REST error code and DataAction. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SIGNALR_CODES, SignalRDataActions } from '../../../src/dataplane/signalr/rest/index.ts';

const page = readFileSync(new URL('../../../docs/signalr.md', import.meta.url), 'utf8');

test('every SignalR REST error code used by the API is on the docs page', () => {
  // Codes of the shared catalogue that the SignalR REST API never answers with (client handshake only).
  const notRest = new Set(['Error.Conflict', 'Error.ConnectionLimitReached', 'Error.TooManyPendingConnections', 'Error.ConnectRejected']);
  for (const code of Object.values(SIGNALR_CODES)) {
    if (notRest.has(code)) continue;
    assert.ok(page.includes(`\`${code}\``), `${code} is missing from docs/signalr.md`);
  }
});

test('every DataAction the REST API checks is on the docs page', () => {
  const checked = ['hubSend', 'userSend', 'groupSend', 'connectionSend', 'connectionRead', 'connectionWrite', 'groupRead', 'groupWrite', 'userRead', 'clientToken', 'accessKey'] as const;
  for (const k of checked) {
    const short = SignalRDataActions[k].replace('Microsoft.SignalRService/SignalR/', '');
    assert.ok(page.includes(`\`${short}\``), `${short} is missing from docs/signalr.md`);
  }
});
