import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import {
  explicitValue,
  type Inspected,
  initializationOptions,
  launch,
  type Manifest,
  needsRestart,
  serverSettings,
} from '../src/settings';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as Manifest;

test('the server settings are the infill.server.* categories of package.json', () => {
  const keys = serverSettings(manifest).map((s) => s.key);
  assert.ok(keys.includes('infill.model.path'));
  assert.ok(keys.includes('infill.completion.max_lines'));
  assert.ok(keys.includes('infill.log_level'));
  for (const client of ['infill.serverPath', 'infill.serverArgs', 'infill.enable', 'infill.trace.server']) {
    assert.ok(!keys.includes(client), `${client} is the extension's, not the server's`);
  }
  const paths = serverSettings(manifest).map((s) => s.path.join('.'));
  assert.ok(paths.includes('completion.max_lines'));
  assert.ok(paths.includes('log_file'));
});

test('a server setting outside the infill section is refused', () => {
  const bad: Manifest = {
    contributes: { configuration: [{ id: 'infill.server.x', properties: { 'other.key': {} } }] },
  };
  assert.throws(() => serverSettings(bad), /not under "infill\."/);
});

test('only values the user set are sent, nested as in config.toml', () => {
  const values: Record<string, Inspected> = {
    'completion.max_lines': { globalValue: 3 },
    'completion.in_comments': { globalValue: true, workspaceValue: false },
    'model.path': { globalValue: '/models/qwen.gguf' },
    'model.draft_path': { globalValue: '' },
    'engine.model': { globalValue: null },
    'context.exclude': { workspaceFolderValue: ['vendor/**'] },
    log_level: { workspaceValue: 'debug' },
  };
  const options = initializationOptions(serverSettings(manifest), (key) => values[key.slice('infill.'.length)]);
  assert.deepEqual(options, {
    completion: { max_lines: 3, in_comments: false },
    model: { path: '/models/qwen.gguf' },
    context: { exclude: ['vendor/**'] },
    log_level: 'debug',
  });
});

test('defaults alone send nothing', () => {
  const options = initializationOptions(serverSettings(manifest), () => ({}));
  assert.deepEqual(options, {});
});

test('the most specific scope wins and an empty string means unset', () => {
  assert.equal(explicitValue({ globalValue: 1, workspaceValue: 2, workspaceFolderValue: 3 }), 3);
  assert.equal(explicitValue({ globalValue: 1, workspaceValue: 2 }), 2);
  assert.equal(explicitValue({ globalValue: false }), false);
  assert.equal(explicitValue({ globalValue: 0 }), 0);
  assert.equal(explicitValue({ globalValue: '/m.gguf', workspaceValue: '' }), undefined);
  assert.equal(explicitValue(undefined), undefined);
});

test('logging settings also go on the command line', () => {
  assert.deepEqual(launch([], {}), { args: ['lsp'], env: {} });
  assert.deepEqual(launch(['--config', '/etc/infill.toml'], { log_file: '/tmp/i.log', log_level: 'infill=debug' }), {
    args: ['lsp', '--config', '/etc/infill.toml', '--log-file', '/tmp/i.log'],
    env: { INFILL_LOG: 'infill=debug' },
  });
});

test('a change to a server setting or the binary asks for a restart, the toggle does not', () => {
  const settings = serverSettings(manifest);
  assert.ok(needsRestart(settings, (key) => key === 'infill.completion.max_lines'));
  assert.ok(needsRestart(settings, (key) => key === 'infill.serverPath'));
  assert.ok(!needsRestart(settings, (key) => key === 'infill.enable'));
  assert.ok(!needsRestart(settings, (key) => key === 'editor.fontSize'));
});
