// The Infill extension: starts `infill lsp` through vscode-languageclient (ghost text through the
// client's inline completion feature, code actions and commands through its standard features),
// restarts it after a crash with backoff, and adds the commands, keys and status-bar item.

import * as readline from 'node:readline';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  type ClientCapabilities,
  type ErrorHandler,
  type FeatureState,
  type InitializeParams,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
  type StaticFeature,
  TransportKind,
} from 'vscode-languageclient/node';

import { Backoff, DEFAULT_POLICY } from './backoff';
import { processEnvironment, resolveServer } from './binary';
import { LANGUAGES } from './languages';
import { levelOf, stripPrefix } from './logs';
import { initializationOptions, launch, needsRestart, SECTION, type ServerSetting, serverSettings } from './settings';
import { formatStatus, type StatusResult, StatusModel, type TraceParams } from './status';

const REFACTOR = 'infill.refactor';
const EXPLAIN = 'infill.explain';
const STATUS_SCHEME = 'infill-status';

let extension: Infill | undefined;

/** Called by VS Code when a file of one of the languages opens. */
export function activate(context: vscode.ExtensionContext): void {
  extension = new Infill(context);
  context.subscriptions.push(extension);
  void extension.start();
}

/** Called by VS Code on shutdown: stops the server (it also exits when this process dies). */
export async function deactivate(): Promise<void> {
  await extension?.stop();
  extension = undefined;
}

/** How long the cursor rests before the server is told where it is. */
const FOCUS_REST_MS = 500;

class Infill implements vscode.Disposable {
  private readonly output = vscode.window.createOutputChannel('Infill', { log: true });
  private readonly item = vscode.window.createStatusBarItem('infill.status', vscode.StatusBarAlignment.Right, 100);
  private readonly model = new StatusModel();
  private readonly backoff = new Backoff();
  private readonly settings: ServerSetting[];
  private readonly statusDocument = new StatusDocument();
  private readonly disposables: vscode.Disposable[] = [];
  private clientDisposables: vscode.Disposable[] = [];
  private client: LanguageClient | undefined;
  private binary = '';
  /** The document the last non-empty suggestion was for: partial accepts count only there. */
  private lastSuggestion: { uri: string; version: number } | undefined;
  private disposed = false;
  private focusTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(context: vscode.ExtensionContext) {
    this.settings = serverSettings(context.extension.packageJSON);
    this.item.name = 'Infill';
    this.item.command = 'infill.status';
    this.model.enabled = this.configuration().get<boolean>('enable', true);
    this.render();
    this.item.show();
    const command = (id: string, run: (...args: unknown[]) => unknown) =>
      this.disposables.push(vscode.commands.registerCommand(id, run));
    command('infill.refactorSelection', () => this.refactorSelection());
    command('infill.explainSelection', () => this.explainSelection());
    command('infill.toggle', () => this.toggle());
    command('infill.status', () => this.showStatus());
    command('infill.showLogs', () => this.output.show(true));
    command('infill.restart', () => this.restart());
    command('infill.acceptNextWord', () => this.acceptPart('editor.action.inlineSuggest.acceptNextWord'));
    command('infill.acceptNextLine', () => this.acceptPart('editor.action.inlineSuggest.acceptNextLine'));
    command('infill.didAccept', (original) => this.accepted(original));
    this.disposables.push(
      this.output,
      this.item,
      vscode.workspace.registerTextDocumentContentProvider(STATUS_SCHEME, this.statusDocument),
      vscode.workspace.onDidChangeConfiguration((event) => this.configurationChanged(event)),
    );
  }

  private configuration(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  private render(): void {
    const view = this.model.view();
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor =
      view.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : view.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    void vscode.commands.executeCommand('setContext', 'infill.running', this.model.phase === 'running');
  }

  /** Starts a server with the current settings. */
  async start(): Promise<void> {
    if (this.disposed) {
      return;
    }
    const configuration = this.configuration();
    const resolution = resolveServer(configuration.get<string>('serverPath'), processEnvironment());
    if (!resolution.ok) {
      this.model.phase = 'failed';
      this.model.error = resolution.message;
      this.render();
      this.output.error(`${resolution.message} Tried: ${resolution.tried.join(', ')}`);
      void this.offer(vscode.window.showErrorMessage(`Infill: ${resolution.message}`, 'Open settings', 'Show logs'));
      return;
    }
    this.binary = resolution.path;
    const options = initializationOptions(this.settings, (key) => configuration.inspect(key.slice(SECTION.length + 1)));
    const { args, env } = launch(configuration.get<string[]>('serverArgs', []), options);
    this.output.info(`starting ${resolution.path} ${args.join(' ')} (found via ${resolution.source})`);
    const serverOptions: ServerOptions = {
      command: resolution.path,
      args,
      transport: TransportKind.stdio,
      options: { env: { ...process.env, ...env } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: LANGUAGES.map((language) => ({ scheme: 'file', language })),
      initializationOptions: options,
      outputChannel: this.output,
      stdioOptions: {
        stdout: (input, channel) => forwardLines(input, channel),
        stderr: (input, channel) => forwardLines(input, channel),
      },
      errorHandler: this.errorHandler(),
      middleware: {
        provideInlineCompletionItems: async (document, position, context, token, next) => {
          if (!this.model.enabled) {
            return null;
          }
          const result = await next(document, position, context, token);
          const items = Array.isArray(result) ? result : result?.items ?? [];
          if (items.length > 0) {
            this.lastSuggestion = { uri: document.uri.toString(), version: document.version };
          }
          for (const item of items) {
            // VS Code runs an item's command when the whole item is accepted.
            item.command = { command: 'infill.didAccept', title: 'Infill: accepted', arguments: [item.command] };
          }
          return result;
        },
        provideCompletionItem: (document, position, context, token, next) =>
          this.model.enabled ? next(document, position, context, token) : null,
        handleWorkDoneProgress: (token, params, next) => {
          this.model.progress(token, params);
          this.render();
          next(token, params);
        },
        executeCommand: (command, args, next) => this.executeCommand(command, args, next),
      },
    };
    const client = new LanguageClient('infill', 'Infill', serverOptions, clientOptions);
    client.registerFeature(new InfillFeature());
    client.onNotification('$/infill/trace', (params: TraceParams) => {
      this.model.trace(params);
      this.render();
    });
    this.clientDisposables.push(
      client.onDidChangeState((event) => {
        if (client !== this.client) {
          return;
        }
        if (event.newState === State.Running) {
          this.model.restarted();
          this.model.phase = 'running';
        } else if (event.newState === State.Starting) {
          this.model.phase = this.model.phase === 'restarting' ? 'restarting' : 'starting';
        } else if (event.newState === State.Stopped && this.model.phase !== 'restarting') {
          this.model.phase = 'stopped';
        }
        this.render();
      }),
    );
    this.client = client;
    this.model.phase = 'starting';
    this.render();
    try {
      await client.start();
    } catch (error) {
      if (client !== this.client) {
        return;
      }
      this.model.phase = 'failed';
      this.model.error = `the server did not start: ${message(error)}`;
      this.render();
      this.output.error(this.model.error);
      void this.offer(vscode.window.showErrorMessage(`Infill: ${this.model.error}`, 'Show logs', 'Open settings'));
      return;
    }
    // The client sends `$/setTrace` with its own (usually "off") level whenever the
    // configuration changes; Infill's latency display needs the server's traces on.
    const traceOn = () => {
      if (client.isRunning()) {
        void client.sendNotification('$/setTrace', { value: 'messages' });
      }
    };
    this.clientDisposables.push(
      vscode.workspace.onDidChangeConfiguration(traceOn),
      this.output.onDidChangeLogLevel(traceOn),
      vscode.window.onDidChangeActiveTextEditor((editor) => this.focus(editor)),
      vscode.window.onDidChangeTextEditorSelection((event) => this.focusSoon(event.textEditor)),
      { dispose: () => clearTimeout(this.focusTimer) },
    );
    this.focus(vscode.window.activeTextEditor);
  }

  /**
   * Tells the server where the cursor is (`infill/didFocus`), so that it computes the prompt
   * there before the first keystroke asks for a suggestion.
   */
  private focus(editor: vscode.TextEditor | undefined): void {
    const client = this.client;
    if (!editor || !client?.isRunning() || !this.model.enabled || editor.document.uri.scheme !== 'file') {
      return;
    }
    const position = editor.selection.active;
    void client
      .sendNotification('infill/didFocus', {
        textDocument: { uri: client.code2ProtocolConverter.asUri(editor.document.uri) },
        position: { line: position.line, character: position.character },
      })
      .catch(() => undefined);
  }

  /** [focus] once the cursor has rested for a moment. */
  private focusSoon(editor: vscode.TextEditor): void {
    clearTimeout(this.focusTimer);
    this.focusTimer = setTimeout(() => this.focus(editor), FOCUS_REST_MS);
  }

  /** Stops the server and forgets its client. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.clientDisposables.forEach((d) => d.dispose());
    this.clientDisposables = [];
    if (client === undefined) {
      return;
    }
    try {
      if (client.needsStop()) {
        await client.stop(2000);
      }
    } catch (error) {
      this.output.warn(`stopping the server: ${message(error)}`);
    }
    await client.dispose().catch(() => undefined);
  }

  private async restart(): Promise<void> {
    this.backoff.reset();
    await this.stop();
    this.model.restarted();
    await this.start();
  }

  /** Restarts after a crash, waiting longer after each one, up to a limit. */
  private errorHandler(): ErrorHandler {
    return {
      error: (_error, _message, count) =>
        count !== undefined && count <= 3 ? { action: ErrorAction.Continue } : { action: ErrorAction.Shutdown },
      closed: async () => {
        const client = this.client;
        if (this.disposed || client === undefined) {
          return { action: CloseAction.DoNotRestart, handled: true };
        }
        const decision = this.backoff.crashed(Date.now());
        const window = `${DEFAULT_POLICY.windowMs / 60_000} minutes`;
        if (!decision.restart) {
          this.model.phase = 'stopped';
          this.model.error = `the server stopped ${decision.crashes} times within ${window}`;
          this.render();
          this.output.error(`${this.model.error}; not restarting it`);
          void this.offer(
            vscode.window.showErrorMessage(
              `Infill: the server stopped ${decision.crashes} times within ${window} and is not restarted. ` +
                'The logs say why.',
              'Show logs',
              'Restart',
            ),
          );
          return { action: CloseAction.DoNotRestart, handled: true };
        }
        const seconds = (decision.delayMs / 1000).toFixed(decision.delayMs < 1000 ? 1 : 0);
        this.model.phase = 'restarting';
        this.model.error = 'the server stopped unexpectedly';
        this.render();
        const text =
          `Infill: the server stopped unexpectedly; restarting it in ${seconds} s ` +
          `(${decision.crashes} of ${DEFAULT_POLICY.maxCrashes} restarts within ${window}).`;
        this.output.warn(text);
        void this.offer(vscode.window.showWarningMessage(text, 'Show logs'));
        await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
        if (this.disposed || client !== this.client) {
          return { action: CloseAction.DoNotRestart, handled: true };
        }
        return { action: CloseAction.Restart, handled: true };
      },
    };
  }

  /** Runs the button a message offered. */
  private async offer(choice: Thenable<string | undefined>): Promise<void> {
    switch (await choice) {
      case 'Show logs':
        this.output.show(true);
        break;
      case 'Open settings':
        await vscode.commands.executeCommand('workbench.action.openSettings', '@ext:infill.infill');
        break;
      case 'Restart':
        await this.restart();
        break;
    }
  }

  private configurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (event.affectsConfiguration(`${SECTION}.enable`)) {
      this.model.enabled = this.configuration().get<boolean>('enable', true);
      this.render();
    }
    if (needsRestart(this.settings, (key) => event.affectsConfiguration(key))) {
      // The server reads its configuration at `initialize` only.
      void vscode.window
        .showInformationMessage('Infill: restart the server to apply the changed settings.', 'Restart')
        .then((choice) => (choice === 'Restart' ? this.restart() : undefined));
    }
  }

  private async toggle(): Promise<void> {
    const configuration = this.configuration();
    const enabled = configuration.get<boolean>('enable', true);
    const inspected = configuration.inspect<boolean>('enable');
    const target =
      inspected?.workspaceFolderValue !== undefined
        ? vscode.ConfigurationTarget.WorkspaceFolder
        : inspected?.workspaceValue !== undefined
          ? vscode.ConfigurationTarget.Workspace
          : vscode.ConfigurationTarget.Global;
    await configuration.update('enable', !enabled, target);
    this.model.enabled = !enabled;
    this.render();
    if (enabled) {
      await vscode.commands.executeCommand('editor.action.inlineSuggest.hide');
    }
    vscode.window.setStatusBarMessage(`Infill: suggestions ${enabled ? 'off' : 'on'}`, 3000);
  }

  /** Accepts part of the shown suggestion with VS Code's own command and tells the server. */
  private async acceptPart(builtin: string): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const ours = editor !== undefined && this.lastSuggestion?.uri === editor.document.uri.toString();
    await vscode.commands.executeCommand(builtin);
    if (ours && this.client?.isRunning()) {
      await this.client.sendNotification('infill/didAccept', { kind: 'partial' });
    }
  }

  /** The command of an accepted suggestion: counts it, then runs the item's own command. */
  private async accepted(original: unknown): Promise<void> {
    if (this.client?.isRunning()) {
      await this.client.sendNotification('infill/didAccept', { kind: 'full' });
    }
    const command = original as vscode.Command | undefined;
    if (command?.command) {
      await vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
    }
  }

  /** The commands the running server executes (`executeCommandProvider`). */
  private serverCommands(): string[] {
    return this.client?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  }

  /** Runs `command` through the client (which registered it), or says why it cannot. */
  private async runServerCommand(command: string, what: string, argument: Record<string, unknown>): Promise<void> {
    if (!this.client?.isRunning()) {
      void this.offer(vscode.window.showWarningMessage('Infill: the server is not running.', 'Show logs'));
      return;
    }
    if (!this.serverCommands().includes(command)) {
      void vscode.window.showWarningMessage(`Infill: ${what} is not supported by this server yet.`);
      return;
    }
    await vscode.commands.executeCommand(command, argument);
  }

  /** The active editor's document and selection as the protocol carries them. */
  private selection(): { uri: string; range: unknown; empty: boolean } | undefined {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined || this.client === undefined) {
      void vscode.window.showWarningMessage('Infill: open a file first.');
      return undefined;
    }
    const converter = this.client.code2ProtocolConverter;
    return {
      uri: converter.asUri(editor.document.uri),
      range: converter.asRange(editor.selection),
      empty: editor.selection.isEmpty,
    };
  }

  private async refactorSelection(): Promise<void> {
    const selection = this.selection();
    if (selection !== undefined) {
      await this.runServerCommand(REFACTOR, 'Refactor', {
        uri: selection.uri,
        range: selection.range,
        scope: selection.empty ? 'file' : 'selection',
      });
    }
  }

  private async explainSelection(): Promise<void> {
    const selection = this.selection();
    if (selection !== undefined) {
      await this.runServerCommand(EXPLAIN, 'Explain', { uri: selection.uri, range: selection.range });
    }
  }

  /**
   * Every `workspace/executeCommand` goes through here, from the palette and from code actions:
   * `infill.refactor` without an instruction asks for one; an explanation the server could not
   * show as a document opens as one; a refactor that was not applied says why.
   */
  private async executeCommand(
    command: string,
    args: unknown[],
    next: (command: string, args: unknown[]) => vscode.ProviderResult<unknown>,
  ): Promise<unknown> {
    if (command === REFACTOR) {
      const argument = { ...((args[0] as Record<string, unknown> | undefined) ?? {}) };
      if (typeof argument.instruction !== 'string' || argument.instruction.trim() === '') {
        const instruction = await vscode.window.showInputBox({
          title: 'Infill: Refactor with instruction',
          prompt: 'What should change?',
          placeHolder: 'e.g. use a dataclass for Order',
          ignoreFocusOut: true,
        });
        if (!instruction?.trim()) {
          return undefined;
        }
        argument.instruction = instruction.trim();
      }
      const result = (await this.guard(next(command, [argument, ...args.slice(1)]))) as RefactorResult | undefined;
      if (result && result.applied === false) {
        void vscode.window.showWarningMessage(
          `Infill: the refactor was not applied${result.failureReason ? `: ${result.failureReason}` : '.'}`,
        );
      } else if (result?.files?.length) {
        vscode.window.setStatusBarMessage(`Infill: refactored ${result.files.length} file(s)`, 5000);
      }
      return result;
    }
    if (command === EXPLAIN) {
      const result = (await this.guard(next(command, args))) as ExplainResult | undefined;
      if (result && !result.shownAsDocument && result.markdown) {
        const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: result.markdown });
        await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true });
      }
      return result;
    }
    return next(command, args);
  }

  /** A command's result; its failure was already shown by the client, or was a cancel. */
  private async guard(result: vscode.ProviderResult<unknown>): Promise<unknown> {
    try {
      return await result;
    } catch (error) {
      if (error instanceof vscode.CancellationError) {
        vscode.window.setStatusBarMessage('Infill: cancelled; nothing was changed', 5000);
      } else {
        this.output.error(`command failed: ${message(error)}`);
      }
      return undefined;
    }
  }

  private async showStatus(): Promise<void> {
    const client = this.client;
    if (!client?.isRunning()) {
      const reason = this.model.error ?? 'the server is not running';
      void this.offer(vscode.window.showWarningMessage(`Infill: ${reason}.`, 'Show logs', 'Restart'));
      return;
    }
    let status: StatusResult;
    try {
      status = await client.sendRequest<StatusResult>('infill/status', {});
    } catch (error) {
      void this.offer(vscode.window.showErrorMessage(`Infill: infill/status failed: ${message(error)}`, 'Show logs'));
      return;
    }
    const capabilities = client.initializeResult?.capabilities;
    const delivery = capabilities?.inlineCompletionProvider
      ? 'ghost text (inline completion)'
      : capabilities?.completionProvider
        ? 'completion items'
        : 'none';
    const text = formatStatus(status, {
      binary: this.binary,
      delivery,
      enabled: this.model.enabled,
      indexed: this.model.indexed,
      lastTrace: this.model.latency,
    });
    const uri = vscode.Uri.parse(`${STATUS_SCHEME}:Infill%20status.md`);
    this.statusDocument.set(uri, text);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(document, 'markdown');
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  }

  dispose(): void {
    this.disposed = true;
    void this.stop();
    this.disposables.forEach((d) => d.dispose());
  }
}

/** What `infill.refactor` answers (server/infill/src/lsp/actions.rs). */
interface RefactorResult {
  applied?: boolean;
  failureReason?: string | null;
  files?: string[];
}

/** What `infill.explain` answers. */
interface ExplainResult {
  title?: string;
  markdown?: string;
  shownAsDocument?: boolean;
}

/**
 * Infill's additions to the client: it asks for `$/infill/trace` (the latency in the status
 * bar) and, when VS Code's ghost text is off, leaves inline completion out of the capabilities
 * so the server sends completion items instead.
 */
class InfillFeature implements StaticFeature {
  fillInitializeParams(params: InitializeParams): void {
    if (params.trace === undefined || params.trace === 'off') {
      params.trace = 'messages';
    }
  }

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    const ghostText = vscode.workspace.getConfiguration('editor').get<boolean>('inlineSuggest.enabled', true);
    if (!ghostText && capabilities.textDocument) {
      delete capabilities.textDocument.inlineCompletion;
    }
  }

  getState(): FeatureState {
    return { kind: 'static' };
  }

  initialize(): void {}

  clear(): void {}
}

/** Read-only documents with the status text. */
class StatusDocument implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
}

/** Forwards a stream's lines to the log channel at the level each line names. */
function forwardLines(input: NodeJS.ReadableStream, channel: vscode.LogOutputChannel): void {
  readline
    .createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 })
    .on('line', (line) => {
      if (line.trim() !== '') {
        channel[levelOf(line)](stripPrefix(line));
      }
    });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
