// The extension's settings that are the server's configuration: which ones there are (read from
// package.json, the one list), and how the ones the user set become `initializationOptions` and
// launch arguments. No `vscode` import: unit-tested in plain Node.

/** The `contributes.configuration` categories whose `id` starts with this hold server keys. */
export const SERVER_CATEGORY_PREFIX = 'infill.server';

/** The prefix of every setting of the extension. */
export const SECTION = 'infill';

/** The part of package.json this module reads. */
export interface Manifest {
  contributes?: {
    configuration?: ConfigurationCategory | ConfigurationCategory[];
  };
}

/** One `contributes.configuration` category. */
export interface ConfigurationCategory {
  id?: string;
  title?: string;
  properties?: Record<string, { default?: unknown }>;
}

/** Where a setting has a value, as `WorkspaceConfiguration.inspect` reports it. */
export interface Inspected {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** A server setting: its VS Code key (`infill.completion.max_lines`) and its config path. */
export interface ServerSetting {
  key: string;
  path: string[];
}

/** The server settings package.json declares, in declaration order. */
export function serverSettings(manifest: Manifest): ServerSetting[] {
  const configuration = manifest.contributes?.configuration;
  const categories = Array.isArray(configuration) ? configuration : configuration ? [configuration] : [];
  const settings: ServerSetting[] = [];
  for (const category of categories) {
    if (!category.id?.startsWith(SERVER_CATEGORY_PREFIX)) {
      continue;
    }
    for (const key of Object.keys(category.properties ?? {})) {
      if (!key.startsWith(`${SECTION}.`)) {
        throw new Error(`server setting ${key} is not under "${SECTION}."`);
      }
      settings.push({ key, path: key.slice(SECTION.length + 1).split('.') });
    }
  }
  return settings;
}

/**
 * The value the user set for a setting, the most specific scope winning; undefined when only the
 * default applies. An empty string or null means "unset" (the Settings UI cannot delete a value).
 */
export function explicitValue(inspected: Inspected | undefined): unknown {
  if (inspected === undefined) {
    return undefined;
  }
  for (const value of [inspected.workspaceFolderValue, inspected.workspaceValue, inspected.globalValue]) {
    if (value !== undefined) {
      return value === '' || value === null ? undefined : value;
    }
  }
  return undefined;
}

/**
 * `initializationOptions`: the server settings the user set, nested as in config.toml
 * (`infill.completion.max_lines` → `{ completion: { max_lines } }`). Settings left at their
 * defaults are not sent, so the server's own defaults and `~/.config/infill/config.toml` apply.
 */
export function initializationOptions(
  settings: ServerSetting[],
  inspect: (key: string) => Inspected | undefined,
): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const setting of settings) {
    const value = explicitValue(inspect(setting.key));
    if (value === undefined) {
      continue;
    }
    let node = options;
    for (const part of setting.path.slice(0, -1)) {
      const next = node[part];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        node[part] = {};
      }
      node = node[part] as Record<string, unknown>;
    }
    node[setting.path[setting.path.length - 1]] = value;
  }
  return options;
}

/** How the server process is started, beyond the binary. */
export interface Launch {
  args: string[];
  env: Record<string, string>;
}

/**
 * The arguments and environment of `infill lsp`. Logging starts before `initialize`, so the
 * logging keys also go on the command line: `log_file` as `--log-file`, `log_level` as
 * `INFILL_LOG` (which the server reads in place of the config's `log_level`).
 */
export function launch(
  extraArgs: readonly string[],
  options: Record<string, unknown>,
): Launch {
  const args = ['lsp', ...extraArgs];
  const env: Record<string, string> = {};
  if (typeof options.log_file === 'string') {
    args.push('--log-file', options.log_file);
  }
  if (typeof options.log_level === 'string') {
    env.INFILL_LOG = options.log_level;
  }
  return { args, env };
}

/** Whether a change of configuration touches what the running server was started with. */
export function needsRestart(
  settings: ServerSetting[],
  affects: (key: string) => boolean,
): boolean {
  return (
    affects(`${SECTION}.serverPath`) ||
    affects(`${SECTION}.serverArgs`) ||
    settings.some((setting) => affects(setting.key))
  );
}
