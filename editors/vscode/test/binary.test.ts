import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';

import { type Environment, expandHome, resolveServer } from '../src/binary';

function environment(executables: string[], extra: Partial<Environment> = {}): Environment {
  return {
    pathVariable: '/usr/local/bin:/usr/bin',
    home: '/home/u',
    isExecutable: (file) => executables.includes(file),
    ...extra,
  };
}

test('the setting wins, with ~ expanded', () => {
  const found = resolveServer('~/bin/infill', environment(['/home/u/bin/infill', '/usr/bin/infill']));
  assert.deepEqual(found, { ok: true, path: path.join('/home/u', 'bin/infill'), source: 'setting' });
});

test('a setting that names no executable is an error, not a fallback', () => {
  const found = resolveServer('/opt/missing/infill', environment(['/usr/bin/infill']));
  assert.equal(found.ok, false);
  assert.match(!found.ok ? found.message : '', /infill\.serverPath is \/opt\/missing\/infill/);
});

test('then the first infill on PATH', () => {
  const found = resolveServer('', environment(['/usr/bin/infill', '/home/u/.cache/infill-target/release/infill']));
  assert.deepEqual(found, { ok: true, path: '/usr/bin/infill', source: 'PATH' });
});

test('then the build output of scripts/setup', () => {
  const built = '/home/u/.cache/infill-target/release/infill';
  assert.deepEqual(resolveServer(undefined, environment([built])), { ok: true, path: built, source: 'build' });
  const custom = '/tmp/target/release/infill';
  assert.deepEqual(resolveServer(undefined, environment([custom], { cargoTargetDir: '/tmp/target' })), {
    ok: true,
    path: custom,
    source: 'build',
  });
});

test('nothing found: every place tried is named and the fix is given', () => {
  const found = resolveServer('  ', environment([]));
  assert.equal(found.ok, false);
  if (!found.ok) {
    assert.deepEqual(found.tried, [
      '/usr/local/bin/infill',
      '/usr/bin/infill',
      '/home/u/.cache/infill-target/release/infill',
    ]);
    assert.match(found.message, /scripts\/setup/);
    assert.match(found.message, /infill\.serverPath/);
  }
});

test('home expansion', () => {
  assert.equal(expandHome('~', '/h'), '/h');
  assert.equal(expandHome('${userHome}/x', '/h'), '/h/x');
  assert.equal(expandHome('/abs/~x', '/h'), '/abs/~x');
});
