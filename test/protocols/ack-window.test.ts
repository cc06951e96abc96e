import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckWindow } from '../../src/protocols/webpubsub/ack-window.ts';

test('processed ackIds are remembered for the dedupe window, then forgotten', () => {
  let now = 0;
  const w = new AckWindow(60_000, 100, () => now);
  w.add(1);
  now = 29_000;
  assert.equal(w.has(1), true);
  now = 31_000; // rotated once: 1 is in the previous bucket
  assert.equal(w.has(1), true);
  w.add(2);
  now = 62_000; // rotated again: 1 is older than the window
  assert.equal(w.has(1), false);
  assert.equal(w.has(2), true);
  now = 200_000; // long silence: everything is gone
  assert.equal(w.has(2), false);
  assert.equal(w.size, 0);
});

test('a flood inside one window stays bounded', () => {
  const now = 0;
  const w = new AckWindow(60_000, 100, () => now);
  for (let i = 0; i < 100_000; i++) w.add(i);
  assert.ok(w.size <= 200, `holds ${w.size}`);
  assert.equal(w.has(99_999), true, 'the latest ids are still deduplicated');
});
