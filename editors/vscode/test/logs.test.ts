import assert from 'node:assert/strict';
import { test } from 'node:test';

import { levelOf, stripPrefix } from '../src/logs';

test('tracing levels map to the channel levels', () => {
  assert.equal(levelOf('2026-01-02T03:04:05.123456Z  INFO infill::lsp: initialize'), 'info');
  assert.equal(levelOf('2026-01-02T03:04:05.123456Z  WARN infill::lsp: ignoring'), 'warn');
  assert.equal(levelOf('2026-01-02T03:04:05.123456Z ERROR infill::lsp: model unavailable'), 'error');
  assert.equal(levelOf('2026-01-02T03:04:05.123456Z DEBUG infill::lsp::completion: prompt'), 'debug');
  assert.equal(levelOf("thread 'main' panicked at src/main.rs:1"), 'error');
  assert.equal(levelOf('plain text'), 'info');
});

test('the timestamp and level are left to the channel', () => {
  assert.equal(stripPrefix('2026-01-02T03:04:05.123456Z  INFO infill::lsp: initialize'), 'infill::lsp: initialize');
  assert.equal(stripPrefix('no prefix here'), 'no prefix here');
});
