import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Backoff } from '../src/backoff';

const policy = { initialDelayMs: 500, maxDelayMs: 4000, windowMs: 60_000, maxCrashes: 5 };

test('the delay doubles with each crash, up to the maximum', () => {
  const backoff = new Backoff(policy);
  const delays = [0, 1, 2, 3, 4].map((i) => backoff.crashed(1000 + i));
  assert.deepEqual(
    delays.map((d) => (d.restart ? d.delayMs : -1)),
    [500, 1000, 2000, 4000, 4000],
  );
});

test('too many crashes within the window: no more restarts', () => {
  const backoff = new Backoff(policy);
  for (let i = 0; i < 5; i++) {
    assert.equal(backoff.crashed(i * 1000).restart, true);
  }
  assert.deepEqual(backoff.crashed(5000), { restart: false, crashes: 6 });
});

test('crashes older than the window are forgotten', () => {
  const backoff = new Backoff(policy);
  for (let i = 0; i < 5; i++) {
    backoff.crashed(i * 1000);
  }
  const later = backoff.crashed(10 * 60_000);
  assert.deepEqual(later, { restart: true, delayMs: 500, crashes: 1 });
});

test('a manual restart resets the count', () => {
  const backoff = new Backoff(policy);
  backoff.crashed(0);
  backoff.crashed(1);
  backoff.reset();
  assert.deepEqual(backoff.crashed(2), { restart: true, delayMs: 500, crashes: 1 });
});
