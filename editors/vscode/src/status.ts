// What the status-bar item says: the server's state from `$/progress` (model loading, indexing,
// refactors), the last completion's latency from `$/infill/trace`, and the toggle. Plus the
// `infill/status` result as a readable document. No `vscode` import: unit-tested in plain Node.

/** A `$/progress` value (LSP `WorkDoneProgressBegin | Report | End`). */
export interface ProgressValue {
  kind: 'begin' | 'report' | 'end';
  title?: string;
  message?: string;
  percentage?: number;
}

/** `$/infill/trace` params (server/infill/src/lsp/ext.rs `TraceParams`). */
export interface TraceParams {
  uri: string;
  version: number;
  ms: number;
  source: string | null;
  prompt_tokens?: number | null;
  computed_tokens?: number | null;
  generated_tokens?: number | null;
}

/** The server process as the extension sees it. */
export type Phase = 'starting' | 'running' | 'restarting' | 'stopped' | 'failed';

/** The rendered item: codicon text, tooltip, and how loud it is. */
export interface View {
  text: string;
  tooltip: string;
  severity: 'normal' | 'warning' | 'error';
}

/** The progress tokens the server uses (server/infill/src/lsp/background.rs, actions.rs). */
export const MODEL_TOKEN = 'infill/model';
export const INDEXING_TOKEN = 'infill/indexing';
export const REFACTOR_TOKEN_PREFIX = 'infill/refactor/';

/** The state behind the status-bar item. */
export class StatusModel {
  phase: Phase = 'starting';
  enabled = true;
  engine: 'unknown' | 'loading' | 'ready' | 'unavailable' = 'unknown';
  engineMessage: string | undefined;
  indexing: { message?: string; percentage?: number } | undefined;
  indexed: string | undefined;
  refactors = new Map<string, string>();
  latency: TraceParams | undefined;
  error: string | undefined;

  /** A `$/progress` notification for `token`. */
  progress(token: string | number, value: ProgressValue): void {
    const name = String(token);
    if (name === MODEL_TOKEN) {
      if (value.kind === 'end') {
        const message = value.message ?? '';
        this.engine = message.startsWith('model unavailable') ? 'unavailable' : 'ready';
        this.engineMessage = message || undefined;
      } else {
        this.engine = 'loading';
      }
    } else if (name === INDEXING_TOKEN) {
      if (value.kind === 'end') {
        this.indexing = undefined;
        this.indexed = value.message;
      } else {
        this.indexing = {
          message: value.message ?? this.indexing?.message,
          percentage: value.percentage ?? this.indexing?.percentage,
        };
      }
    } else if (name.startsWith(REFACTOR_TOKEN_PREFIX)) {
      if (value.kind === 'end') {
        this.refactors.delete(name);
      } else {
        this.refactors.set(name, value.message ?? value.title ?? 'working');
      }
    }
  }

  /** A `$/infill/trace` notification: one answered completion request. */
  trace(params: TraceParams): void {
    this.latency = params;
  }

  /** The process started again: what the old one reported no longer holds. */
  restarted(): void {
    this.engine = 'unknown';
    this.engineMessage = undefined;
    this.indexing = undefined;
    this.refactors.clear();
    this.latency = undefined;
    this.error = undefined;
  }

  /** The item as it should read now. */
  view(): View {
    const lines: string[] = [];
    if (this.engineMessage) {
      lines.push(`Model: ${this.engineMessage}`);
    }
    if (this.indexed) {
      lines.push(`Index: ${this.indexed}`);
    }
    if (this.latency) {
      lines.push(`Last completion: ${describeTrace(this.latency)}`);
    }
    lines.push(this.enabled ? 'Suggestions on' : 'Suggestions off (Infill: Toggle suggestions)');
    lines.push('Click for the server status');
    const tooltip = (first: string) => [first, ...lines].join('\n');

    if (this.phase === 'failed' || this.phase === 'stopped') {
      const reason = this.error ?? 'the server is not running';
      return { text: '$(error) Infill', tooltip: tooltip(`Infill: ${reason}`), severity: 'error' };
    }
    if (this.phase === 'restarting') {
      return {
        text: '$(sync~spin) Infill: restarting',
        tooltip: tooltip(`Infill: ${this.error ?? 'the server stopped'}; restarting`),
        severity: 'warning',
      };
    }
    if (this.phase === 'starting') {
      return { text: '$(loading~spin) Infill', tooltip: tooltip('Infill: starting the server'), severity: 'normal' };
    }
    if (this.engine === 'unavailable') {
      return {
        text: '$(warning) Infill: no model',
        tooltip: tooltip(`Infill: ${this.engineMessage ?? 'model unavailable'}`),
        severity: 'warning',
      };
    }
    if (!this.enabled) {
      return { text: '$(circle-slash) Infill: off', tooltip: tooltip('Infill: suggestions are off'), severity: 'normal' };
    }
    const [refactor] = this.refactors.values();
    if (refactor !== undefined) {
      return { text: '$(loading~spin) Infill: refactoring', tooltip: tooltip(`Infill: ${refactor}`), severity: 'normal' };
    }
    if (this.engine === 'loading') {
      return { text: '$(loading~spin) Infill: loading model', tooltip: tooltip('Infill: loading the model'), severity: 'normal' };
    }
    if (this.indexing) {
      const percent = this.indexing.percentage !== undefined ? ` ${Math.round(this.indexing.percentage)}%` : '';
      return {
        text: `$(sync~spin) Infill: indexing${percent}`,
        tooltip: tooltip(`Infill: indexing ${this.indexing.message ?? ''}`.trim()),
        severity: 'normal',
      };
    }
    const latency = this.latency ? ` ${this.latency.ms} ms` : '';
    return { text: `$(sparkle) Infill${latency}`, tooltip: tooltip('Infill: ready'), severity: 'normal' };
  }
}

/** One trace in words: `312 ms (engine, 40 of 812 prompt tokens computed, 12 generated)`. */
export function describeTrace(trace: TraceParams): string {
  const parts: string[] = [];
  parts.push(trace.source ?? 'no suggestion');
  if (trace.prompt_tokens != null && trace.computed_tokens != null) {
    parts.push(`${trace.computed_tokens} of ${trace.prompt_tokens} prompt tokens computed`);
  }
  if (trace.generated_tokens != null) {
    parts.push(`${trace.generated_tokens} generated`);
  }
  return `${trace.ms} ms (${parts.join(', ')})`;
}

/** The `infill/status` result (server/infill/src/lsp/ext.rs `StatusResult`). */
export interface StatusResult {
  version: string;
  engine: string;
  engine_busy: number;
  capabilities: {
    name: string;
    context_length: number;
    family: string;
    chat: boolean;
    prefix_cache: boolean;
  } | null;
  open_documents: number;
  position_encoding: string;
  stats: {
    requests: number;
    suggestions: number;
    engine_requests: number;
    short_prompt?: number;
    typed_through: number;
    cache_hits: number;
    accepted: number;
    partially_accepted: number;
    acceptance_rate: number;
    median_latency_ms: number | null;
  };
}

/** What the extension adds to the server's status. */
export interface ClientFacts {
  binary: string;
  delivery: string;
  enabled: boolean;
  indexed?: string | undefined;
  lastTrace?: TraceParams | undefined;
}

/** The status as a Markdown document. */
export function formatStatus(status: StatusResult, facts: ClientFacts): string {
  const rows: [string, string][] = [
    ['Server', `infill ${status.version} (${facts.binary})`],
    ['Engine', status.engine + (status.engine_busy ? ` (${status.engine_busy} generating)` : '')],
  ];
  if (status.capabilities) {
    const c = status.capabilities;
    rows.push(['Model', c.name]);
    rows.push(['Prompt family', c.family]);
    rows.push(['Context length', `${c.context_length} tokens`]);
    rows.push(['Prefix cache', c.prefix_cache ? 'yes' : 'no']);
  }
  rows.push(['Delivery', facts.delivery]);
  rows.push(['Suggestions', facts.enabled ? 'on' : 'off']);
  rows.push(['Open documents', String(status.open_documents)]);
  rows.push(['Position encoding', status.position_encoding]);
  if (facts.indexed) {
    rows.push(['Index', facts.indexed]);
  }
  const s = status.stats;
  rows.push(['Requests', `${s.requests} (${s.suggestions} with a suggestion)`]);
  rows.push([
    'Sources',
    `${s.engine_requests} generated` +
      (s.short_prompt ? ` (${s.short_prompt} from a short prompt while the full one warmed)` : '') +
      `, ${s.typed_through} typed through, ${s.cache_hits} from the cache`,
  ]);
  rows.push([
    'Accepted',
    `${s.accepted} whole, ${s.partially_accepted} in part (${(s.acceptance_rate * 100).toFixed(0)}% of suggestions)`,
  ]);
  rows.push(['Median latency', s.median_latency_ms === null ? '–' : `${s.median_latency_ms} ms`]);
  if (facts.lastTrace) {
    rows.push(['Last completion', describeTrace(facts.lastTrace)]);
  }
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  return [
    '# Infill status',
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([name, value]) => `| ${name} | ${escape(value)} |`),
    '',
    'Statistics are local to the server process and never leave it.',
    '',
  ].join('\n');
}
