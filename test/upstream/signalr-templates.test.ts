/**
 * SignalR upstream templates: the first template whose hub, category and event patterns match
 * gets the request (Azure's order-sensitive list); `*`, single names and comma lists; {hub},
 * {category} and {event} filled in URL-encoded; no matching template → a waiting invocation gets
 * an error Completion and connection events are not sent.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, parsePattern, TemplateCache } from '../../src/upstream/index.ts';
import type { SignalRUpstreamTemplate } from '../../src/upstream/index.ts';
import type { UpstreamTemplate } from '../../src/config/signalr.ts';

// The config piece's templates are what the upstream takes, without conversion.
const _fromConfig: (t: UpstreamTemplate) => SignalRUpstreamTemplate = (t) => t;
void _fromConfig;
import { sleep, startHarness, until } from './support.ts';
import type { Harness } from './support.ts';
import { startSignalRServerless, startUpstreamApp } from './signalr-support.ts';
import type { UpstreamApp } from './signalr-support.ts';

test('patterns: *, empty and absent match all; names and comma lists (trimmed); hub and category case-insensitively, events as written', () => {
  assert.equal(parsePattern(undefined, true), 'all');
  assert.equal(parsePattern('', true), 'all');
  assert.equal(parsePattern(' * ', false), 'all');
  assert.deepEqual(parsePattern('Chat, news ,x', true), new Set(['chat', 'news', 'x']));
  assert.deepEqual(parsePattern('SendMessage,echo', false), new Set(['SendMessage', 'echo']));
  const cache = new TemplateCache();
  const list: SignalRUpstreamTemplate[] = [
    { urlTemplate: 'http://a/{event}', hubPattern: 'Admin', categoryPattern: 'connections' },
    { urlTemplate: 'http://b/{event}', hubPattern: 'chat,news', eventPattern: 'SendMessage, echo' },
    { urlTemplate: 'http://c/{event}', categoryPattern: 'Messages' },
    { urlTemplate: 'http://d/{event}', hubPattern: '*', eventPattern: '*', categoryPattern: '*' },
  ];
  const at = (hub: string, category: 'connections' | 'messages', event: string) => cache.match(list, hub, category, event)?.index;
  assert.equal(at('admin', 'connections', 'connected'), 0, 'hub names compare case-insensitively');
  assert.equal(at('admin', 'messages', 'echo'), 2, 'the category pattern excludes template 0');
  assert.equal(at('news', 'messages', 'echo'), 1);
  assert.equal(at('news', 'messages', 'sendmessage'), 2, 'event names compare as written');
  assert.equal(at('chat', 'messages', 'SendMessage'), 1, 'first match wins over the later catch-all');
  assert.equal(at('chat', 'connections', 'disconnected'), 3);
  assert.equal(cache.match(list.slice(0, 3), 'chat', 'connections', 'connected'), undefined);
  const reordered = [list[3]!, ...list.slice(0, 3)];
  assert.equal(cache.match(reordered, 'admin', 'connections', 'connected')?.index, 0, 'a template is recompiled when it moves');
});

test('a template that cannot be parsed compiles to one that fails with its reason', () => {
  const c = compileTemplate({ urlTemplate: 'http://x/{@Microsoft.KeyVault(SecretUri=http://plain/secrets/a)}' }, 4);
  assert.equal(c.index, 4);
  assert.match(c.error!, /https:\/\//);
  const mi = compileTemplate({ urlTemplate: 'http://x/{hub}', auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://up' } } }, 0);
  assert.equal(mi.audienceResource, 'api://up');
  assert.equal(mi.error, undefined);
});

let h: Harness;
const apps: UpstreamApp[] = [];
before(async () => {
  h = await startHarness();
  for (let i = 0; i < 3; i++) apps.push(await startUpstreamApp());
});
after(async () => {
  for (const a of apps) await a.close();
  await h.close();
});

test('through a real client: each request goes to the first matching template, placeholders URL-encoded', async (t) => {
  const [a, b, c] = apps as [UpstreamApp, UpstreamApp, UpstreamApp];
  const s = await startSignalRServerless(h);
  t.after(() => s.stop());
  s.templates.push(
    { urlTemplate: `${a.url}/conn/{hub}/{event}?c={category}`, categoryPattern: 'connections' },
    { urlTemplate: `${b.url}/api/{hub}/{category}/{event}`, hubPattern: 'chat', eventPattern: 'Send Message,echo' },
    { urlTemplate: `${c.url}/rest/{event}`, hubPattern: '*' },
  );
  const x = await s.connect('erin');
  await x.send('Send Message', 1);
  assert.equal(await x.invoke('echo'), undefined);
  assert.equal(await x.invoke('other'), undefined);
  await x.stop();
  await until(() => a.requests.length >= 2, 5000, 'connection events');
  assert.deepEqual(a.requests.map((q) => q.path + q.search), ['/conn/chat/connected?c=connections', '/conn/chat/disconnected?c=connections']);
  assert.deepEqual(b.requests.map((q) => q.path), ['/api/chat/messages/Send%20Message', '/api/chat/messages/echo']);
  assert.deepEqual(c.requests.map((q) => q.path), ['/rest/other']);
});

test('no matching template: a waiting invocation gets an error Completion, nothing else is sent', async (t) => {
  const [a] = apps as [UpstreamApp];
  a.requests.length = 0;
  const s = await startSignalRServerless(h);
  t.after(() => s.stop());
  s.templates.push({ urlTemplate: `${a.url}/only/{event}`, hubPattern: 'elsewhere' });
  const x = await s.connect('frank');
  await assert.rejects(x.invoke('echo', 1), /No upstream template matches hub 'chat', category 'messages' and event 'echo'/);
  await x.send('fire', 2);
  // A template added at run time applies to the next event of the same connection.
  s.templates.push({ urlTemplate: `${a.url}/late/{event}`, eventPattern: 'echo' });
  assert.equal(await x.invoke('echo', 3), undefined);
  await x.stop();
  await sleep(100);
  assert.deepEqual(a.requests.map((q) => q.path), ['/late/echo']);
});
