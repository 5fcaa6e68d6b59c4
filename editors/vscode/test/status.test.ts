import assert from 'node:assert/strict';
import { test } from 'node:test';

import { describeTrace, formatStatus, type StatusResult, StatusModel } from '../src/status';

function running(): StatusModel {
  const model = new StatusModel();
  model.phase = 'running';
  return model;
}

test('model loading, then indexing, then ready with the last latency', () => {
  const model = running();
  model.progress('infill/model', { kind: 'begin', title: 'Infill: loading model' });
  model.progress('infill/indexing', { kind: 'begin', title: 'Infill: indexing', percentage: 0 });
  assert.equal(model.view().text, '$(loading~spin) Infill: loading model');
  model.progress('infill/model', { kind: 'end', message: 'SmolLM2 ready' });
  model.progress('infill/indexing', { kind: 'report', message: '3/10 files', percentage: 30 });
  assert.equal(model.view().text, '$(sync~spin) Infill: indexing 30%');
  model.progress('infill/indexing', { kind: 'end', message: '10 files indexed, 0 skipped' });
  assert.equal(model.view().text, '$(sparkle) Infill');
  model.trace({ uri: 'file:///a.py', version: 3, ms: 312, source: 'engine', prompt_tokens: 800, computed_tokens: 40, generated_tokens: 12 });
  const view = model.view();
  assert.equal(view.text, '$(sparkle) Infill 312 ms');
  assert.match(view.tooltip, /Model: SmolLM2 ready/);
  assert.match(view.tooltip, /Index: 10 files indexed/);
  assert.match(view.tooltip, /312 ms \(engine, 40 of 800 prompt tokens computed, 12 generated\)/);
});

test('a model that failed to load is a warning', () => {
  const model = running();
  model.progress('infill/model', { kind: 'begin' });
  model.progress('infill/model', { kind: 'end', message: 'model unavailable: no such file /m.gguf' });
  const view = model.view();
  assert.equal(view.severity, 'warning');
  assert.equal(view.text, '$(warning) Infill: no model');
  assert.match(view.tooltip, /no such file/);
});

test('disabled, refactoring, restarting and failed states', () => {
  const model = running();
  model.enabled = false;
  assert.equal(model.view().text, '$(circle-slash) Infill: off');
  model.enabled = true;
  model.progress('infill/refactor/1', { kind: 'begin', title: 'Infill: refactor' });
  model.progress('infill/refactor/1', { kind: 'report', message: 'plan: 2 files' });
  assert.equal(model.view().text, '$(loading~spin) Infill: refactoring');
  assert.match(model.view().tooltip, /plan: 2 files/);
  model.progress('infill/refactor/1', { kind: 'end', message: 'applied' });
  assert.equal(model.view().text, '$(sparkle) Infill');
  model.phase = 'restarting';
  model.error = 'the server stopped unexpectedly';
  assert.equal(model.view().severity, 'warning');
  model.phase = 'failed';
  model.error = 'the infill binary was not found';
  assert.deepEqual([model.view().text, model.view().severity], ['$(error) Infill', 'error']);
  assert.match(model.view().tooltip, /binary was not found/);
});

test('a restart forgets what the old process reported', () => {
  const model = running();
  model.progress('infill/model', { kind: 'end', message: 'model unavailable: x' });
  model.trace({ uri: 'file:///a.py', version: 1, ms: 5, source: 'cache' });
  model.restarted();
  assert.equal(model.view().text, '$(sparkle) Infill');
});

test('a trace without a suggestion says so', () => {
  assert.equal(describeTrace({ uri: 'u', version: 1, ms: 7, source: null }), '7 ms (no suggestion)');
});

test('the status document lists the engine, the model and the statistics', () => {
  const status: StatusResult = {
    version: '0.1.0',
    engine: 'ready',
    engine_busy: 0,
    capabilities: { name: 'SmolLM2-135M', context_length: 8192, family: 'repo-tokens', chat: true, prefix_cache: true },
    open_documents: 2,
    position_encoding: 'utf-16',
    stats: {
      requests: 10,
      suggestions: 8,
      engine_requests: 5,
      short_prompt: 1,
      typed_through: 2,
      cache_hits: 1,
      accepted: 3,
      partially_accepted: 1,
      acceptance_rate: 0.375,
      median_latency_ms: 120,
    },
  };
  const text = formatStatus(status, { binary: '/usr/bin/infill', delivery: 'ghost text', enabled: true });
  assert.match(text, /\| Server \| infill 0\.1\.0 \(\/usr\/bin\/infill\) \|/);
  assert.match(text, /\| Model \| SmolLM2-135M \|/);
  assert.match(text, /\| Accepted \| 3 whole, 1 in part \(38% of suggestions\) \|/);
  assert.match(text, /\| Median latency \| 120 ms \|/);
  assert.match(text, /\| Sources \| 5 generated \(1 from a short prompt while the full one warmed\), 2 typed through, 1 from the cache \|/);
  const loading = formatStatus({ ...status, engine: 'loading', capabilities: null }, {
    binary: 'b',
    delivery: 'ghost text',
    enabled: false,
  });
  assert.doesNotMatch(loading, /\| Model \|/);
  assert.match(loading, /\| Suggestions \| off \|/);
});
