// The server's stderr in the Infill output channel, each line at the level the server logged it
// (tracing's `INFO`, `WARN`...). No `vscode` import: unit-tested in plain Node.

/** A log channel's methods, by level. */
export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<string, Level> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The level of one stderr line: the first tracing level word in it, else `info` (panics and
 * messages printed without tracing start with `infill:` or `thread`, and are errors).
 */
export function levelOf(line: string): Level {
  // Strip ANSI colours, in case the server was built to log in colour.
  const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
  const match = /\b(TRACE|DEBUG|INFO|WARN|ERROR)\b/.exec(plain.slice(0, 80));
  if (match) {
    return LEVELS[match[1]];
  }
  if (/^(infill: |thread '.*' panicked|error:)/.test(plain)) {
    return 'error';
  }
  return 'info';
}

/** The line without the timestamp and level the output channel adds itself. */
export function stripPrefix(line: string): string {
  const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
  return plain.replace(/^\s*\d{4}-\d\d-\d\dT[\d:.]+Z?\s+(TRACE|DEBUG|INFO|WARN|ERROR)\s+/, '');
}
