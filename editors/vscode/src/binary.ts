// Which `infill` binary to start: the `infill.serverPath` setting, else `infill` on PATH, else
// what scripts/setup builds. No `vscode` import: unit-tested in plain Node.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where the binary was found. */
export type BinarySource = 'setting' | 'PATH' | 'build';

/** The outcome of a lookup. */
export type Resolution =
  | { ok: true; path: string; source: BinarySource }
  | { ok: false; message: string; tried: string[] };

/** What the lookup reads from the machine; injectable for tests. */
export interface Environment {
  /** The `PATH` variable. */
  pathVariable: string | undefined;
  /** The home directory. */
  home: string;
  /** `CARGO_TARGET_DIR`, which scripts/env.sh sets for the build. */
  cargoTargetDir?: string | undefined;
  /** Windows: the executable extensions (`PATHEXT`); elsewhere undefined. */
  pathExt?: string | undefined;
  /** Whether a regular, executable file exists at this path. */
  isExecutable(file: string): boolean;
}

/** The machine this process runs on. */
export function processEnvironment(): Environment {
  return {
    pathVariable: process.env.PATH,
    home: os.homedir(),
    cargoTargetDir: process.env.CARGO_TARGET_DIR,
    pathExt: process.platform === 'win32' ? process.env.PATHEXT ?? '.EXE;.CMD;.BAT' : undefined,
    isExecutable(file: string): boolean {
      try {
        const stat = fs.statSync(file);
        if (!stat.isFile()) {
          return false;
        }
        fs.accessSync(file, fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** Expands a leading `~` and `${userHome}`, as VS Code users write paths in settings. */
export function expandHome(file: string, home: string): string {
  if (file === '~') {
    return home;
  }
  if (file.startsWith('~/') || file.startsWith('~\\')) {
    return path.join(home, file.slice(2));
  }
  return file.replace(/\$\{userHome\}/g, home);
}

/** The binary scripts/setup builds: `$CARGO_TARGET_DIR/release/infill` or the default target. */
export function buildOutput(environment: Environment): string {
  const target = environment.cargoTargetDir || path.join(environment.home, '.cache', 'infill-target');
  return path.join(target, 'release', environment.pathExt ? 'infill.exe' : 'infill');
}

/** Finds the binary; on failure, says what was tried and how to fix it. */
export function resolveServer(configured: string | undefined, environment: Environment): Resolution {
  const setting = configured?.trim();
  if (setting) {
    const file = expandHome(setting, environment.home);
    if (environment.isExecutable(file)) {
      return { ok: true, path: file, source: 'setting' };
    }
    return {
      ok: false,
      tried: [file],
      message: `infill.serverPath is ${file}, which is not an executable file.`,
    };
  }
  const tried: string[] = [];
  const names = environment.pathExt
    ? environment.pathExt.split(';').filter(Boolean).map((ext) => `infill${ext.toLowerCase()}`)
    : ['infill'];
  const separator = environment.pathExt ? ';' : ':';
  for (const directory of (environment.pathVariable ?? '').split(separator)) {
    if (!directory) {
      continue;
    }
    for (const name of names) {
      const file = path.join(directory, name);
      tried.push(file);
      if (environment.isExecutable(file)) {
        return { ok: true, path: file, source: 'PATH' };
      }
    }
  }
  const built = buildOutput(environment);
  tried.push(built);
  if (environment.isExecutable(built)) {
    return { ok: true, path: built, source: 'build' };
  }
  return {
    ok: false,
    tried,
    message:
      `the infill binary was not found on PATH nor at ${built}. ` +
      'Build it with scripts/setup, or set infill.serverPath.',
  };
}
