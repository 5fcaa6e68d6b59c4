import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { LANGUAGES } from '../src/languages';

const root = path.join(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const source = fs.readFileSync(path.join(root, 'src', 'extension.ts'), 'utf8');

test('every contributed command is registered by the extension', () => {
  for (const { command } of manifest.contributes.commands as { command: string }[]) {
    assert.ok(source.includes(`command('${command}'`), `${command} is contributed but never registered`);
  }
});

test('keybindings and menus name contributed commands', () => {
  const contributed = new Set((manifest.contributes.commands as { command: string }[]).map((c) => c.command));
  for (const binding of manifest.contributes.keybindings as { command: string }[]) {
    assert.ok(contributed.has(binding.command), binding.command);
  }
  for (const entries of Object.values(manifest.contributes.menus) as { command: string }[][]) {
    for (const entry of entries) {
      assert.ok(contributed.has(entry.command), entry.command);
    }
  }
});

test('the palette commands do not take the ids the server registers through the client', () => {
  const contributed = (manifest.contributes.commands as { command: string }[]).map((c) => c.command);
  for (const serverCommand of ['infill.refactor', 'infill.explain', 'infill.applyAction']) {
    assert.ok(!contributed.includes(serverCommand), serverCommand);
  }
});

test('the extension activates for exactly the languages it serves', () => {
  const activation = (manifest.activationEvents as string[]).map((e) => e.replace(/^onLanguage:/, ''));
  assert.deepEqual(activation, LANGUAGES);
});

test('every setting has a description and a default', () => {
  for (const category of manifest.contributes.configuration) {
    for (const [key, schema] of Object.entries(category.properties as Record<string, Record<string, unknown>>)) {
      assert.ok(schema.markdownDescription || schema.description, `${key} has no description`);
      assert.ok('default' in schema, `${key} has no default`);
    }
  }
});
