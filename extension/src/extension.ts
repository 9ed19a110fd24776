import * as vscode from "vscode";
import {
  CloseAction,
  CloseHandlerResult,
  DidChangeConfigurationNotification,
  ErrorAction,
  ErrorHandlerResult,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  ServerOptions,
  State,
} from "vscode-languageclient/node";
import { choosePython, probePython, PythonChoice } from "./python";
import { type PackageJson, serverKeys, serverSettings, withoutClientKeys } from "./settings";
import { ClientState, formatLatency, StatusBar, StatusParams } from "./status";

const STATUS_NOTIFICATION = "compilot/status";
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 3 * 60 * 1000;

/**
 * A line on the extension host's console. code-server forwards it to the page as `[Extension Host] ...`, where
 * the end-to-end test waits for `[compilot] ready` before it types.
 */
function marker(text: string): void {
  console.log(`[compilot] ${text}`);
}

class Controller implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private busy: Promise<void> = Promise.resolve();
  private crashes: number[] = [];
  private python: PythonChoice | undefined;
  /** Whether the current client finished `initialize`; before that a failed start is reported by doStart. */
  private running = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
    readonly status: StatusBar,
  ) {}

  /** The server's setting names, from the extension's own package.json. */
  private get serverKeys(): string[] {
    return serverKeys(this.context.extension.packageJSON as PackageJson);
  }

  get enabled(): boolean {
    return vscode.workspace.getConfiguration("compilot").get<boolean>("enable", true);
  }

  /** Runs `step` after every earlier start/stop, so they never interleave. */
  private serial(step: () => Promise<void>): Promise<void> {
    this.busy = this.busy.then(step, step);
    return this.busy;
  }

  start(): Promise<void> {
    return this.serial(() => this.doStart());
  }

  stop(state: ClientState = "off"): Promise<void> {
    return this.serial(async () => {
      await this.doStop();
      this.setState(state);
    });
  }

  restart(): Promise<void> {
    return this.serial(async () => {
      await this.doStop();
      this.crashes = [];
      await this.doStart();
    });
  }

  private setState(state: ClientState, message?: string): void {
    const changed = state !== this.status.current;
    this.status.set(state, message);
    if (changed) {
      marker(message ? `${state}: ${message}` : state);
    }
  }

  private async doStart(): Promise<void> {
    if (this.client) {
      return;
    }
    if (!this.enabled) {
      this.setState("off", "disabled by the setting compilot.enable");
      return;
    }
    this.setState("starting");
    const folder = vscode.workspace.workspaceFolders?.[0];
    const cwd = folder?.uri.scheme === "file" ? folder.uri.fsPath : undefined;
    const python = choosePython(this.context.extensionPath);
    this.python = python;
    this.log.info(`Python: ${python.command} (from ${python.source})`);
    const probe = await probePython(python.command, cwd);
    if (!probe.ok) {
      let message: string;
      if (probe.reason === "missing") {
        message =
          `cannot run Python at '${python.command}' (from ${python.source}). ` +
          "Set compilot.pythonPath to a Python 3.10+ interpreter with compilot installed " +
          "(pip install -e <compilot repository>).";
      } else if (probe.reason === "not-installed") {
        message =
          `the package compilot is not installed for '${python.command}' (${probe.detail}, from ` +
          `${python.source}). Install it there (pip install -e <compilot repository>) or set ` +
          "compilot.pythonPath to a Python that has it.";
      } else {
        message = `'${python.command}' (from ${python.source}) failed: ${probe.detail}`;
      }
      this.log.error(message);
      this.setState("error", message);
      void showStartError(`Compilot: the language server cannot start: ${message}`, this.log);
      return;
    }
    this.log.info(`Python ${probe.version}; starting ${python.command} -m compilot serve`);

    const serverOptions: ServerOptions = {
      command: python.command,
      // No `transport`: TransportKind.stdio would append "--stdio" to the arguments.
      args: ["-m", "compilot", "serve"],
      options: { cwd, env: { ...process.env, PYTHONUNBUFFERED: "1" } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "java" },
        { scheme: "untitled", language: "java" },
      ],
      outputChannel: this.log,
      initializationOptions: serverSettings(this.serverKeys, folder),
      synchronize: { configurationSection: "compilot" },
      middleware: {
        // Opening the completion list asks for ghost text again, for the selected item; the list is the offer
        // then. (A list and ghost text asked for at one place share one generation in the server.)
        provideInlineCompletionItems: (document, position, context, token, next) =>
          context.selectedCompletionInfo ? null : next(document, position, context, token),
        workspace: {
          // workspace/configuration: the server gets its own settings, without enable/pythonPath.
          configuration: async (params, token, next) => {
            const result: unknown = await next(params, token);
            if (!Array.isArray(result)) {
              return result as ResponseError;
            }
            return result.map((value: unknown, i) =>
              params.items[i]?.section === "compilot" ? withoutClientKeys(value) : value,
            );
          },
          // workspace/didChangeConfiguration: the same settings object as initializationOptions.
          didChangeConfiguration: async (_sections, _next) => {
            const client = this.client;
            if (client && client.state === State.Running) {
              await client.sendNotification(DidChangeConfigurationNotification.type, {
                settings: { compilot: serverSettings(this.serverKeys, folder) },
              });
            }
          },
        },
      },
      errorHandler: {
        error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue }),
        closed: (): CloseHandlerResult => this.onClosed(),
      },
      initializationFailedHandler: (error) => {
        this.log.error(`initialize failed: ${String(error)}`);
        return false;
      },
    };
    const client = new LanguageClient("compilot", "Compilot", serverOptions, clientOptions);
    client.onNotification(STATUS_NOTIFICATION, (params: StatusParams | null) => {
      this.onStatus(params);
    });
    this.client = client;
    this.running = false;
    try {
      await client.start();
    } catch (error) {
      this.client = undefined;
      await client.dispose().catch(() => undefined);
      const message =
        `'${python.command} -m compilot serve' (Python from ${python.source}) did not start: ` +
        `${error instanceof Error ? error.message : String(error)}. See Compilot: Show Log.`;
      this.log.error(message);
      this.setState("error", message);
      void showStartError(`Compilot: the language server did not start. ${message}`, this.log);
      return;
    }
    this.running = true;
    marker("client started");
    if (this.status.current === "starting") {
      this.setState("loading", "server started; waiting for the model");
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) {
      return;
    }
    try {
      if (client.state !== State.Stopped) {
        await client.stop(3000);
      }
    } catch (error) {
      this.log.warn(`stopping the server: ${String(error)}`);
    }
    await client.dispose().catch(() => undefined);
  }

  private onStatus(params: StatusParams | null): void {
    if (!params || typeof params.state !== "string") {
      return;
    }
    if (typeof params.latencyMs === "number") {
      const check = params.checked === undefined ? "" : params.checked ? " (compile-checked)" : " (not checked)";
      this.log.debug(`completion in ${formatLatency(params.latencyMs)}${check}`);
    }
    const changed = params.state !== this.status.current;
    this.status.update(params);
    if (changed) {
      marker(params.message ? `${params.state}: ${params.message}` : params.state);
    }
  }

  private onClosed(): CloseHandlerResult {
    if (!this.running) {
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    const now = Date.now();
    this.crashes = this.crashes.filter((t) => now - t < RESTART_WINDOW_MS);
    this.crashes.push(now);
    if (this.crashes.length <= MAX_RESTARTS) {
      this.log.warn(`the server stopped; restarting it (${this.crashes.length}/${MAX_RESTARTS})`);
      this.setState("starting", "restarting after the server stopped");
      return { action: CloseAction.Restart, handled: true };
    }
    const python = this.python ? `${this.python.command} -m compilot serve` : "the server";
    const message = `${python} stopped ${this.crashes.length} times in 3 minutes; it is not restarted.`;
    this.log.error(message);
    this.setState("error", message);
    void showStartError(`Compilot: ${message} See the log; fix it and run Compilot: Restart Server.`, this.log);
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  dispose(): void {
    void this.doStop();
  }

  async shutdown(): Promise<void> {
    await this.serial(() => this.doStop());
  }
}

async function showStartError(text: string, log: vscode.LogOutputChannel): Promise<void> {
  const choice = await vscode.window.showErrorMessage(text, "Open Settings", "Show Log");
  if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "compilot.pythonPath");
  } else if (choice === "Show Log") {
    log.show(true);
  }
}

async function toggleEnable(): Promise<void> {
  const config = vscode.workspace.getConfiguration("compilot");
  const enabled = config.get<boolean>("enable", true);
  const inspected = config.inspect<boolean>("enable");
  const target =
    inspected?.workspaceFolderValue !== undefined || inspected?.workspaceValue !== undefined
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
  await config.update("enable", !enabled, target);
  void vscode.window.setStatusBarMessage(`Compilot completions ${enabled ? "off" : "on"}`, 3000);
}

let controller: Controller | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel("Compilot", { log: true });
  const status = new StatusBar("compilot.menu");
  controller = new Controller(context, log, status);
  const c = controller;
  context.subscriptions.push(
    log,
    status,
    c,
    vscode.commands.registerCommand("compilot.restartServer", () => c.restart()),
    vscode.commands.registerCommand("compilot.showLog", () => {
      log.show(true);
    }),
    vscode.commands.registerCommand("compilot.toggleCompletions", toggleEnable),
    vscode.commands.registerCommand("compilot.menu", async () => {
      const items = [
        { label: "$(output) Show Log", command: "compilot.showLog" },
        { label: "$(debug-restart) Restart Server", command: "compilot.restartServer" },
        {
          label: c.enabled ? "$(circle-slash) Turn Completions Off" : "$(check) Turn Completions On",
          command: "compilot.toggleCompletions",
        },
        { label: "$(gear) Settings", command: "workbench.action.openSettings", args: "@ext:compilot.compilot" },
      ];
      const pick = await vscode.window.showQuickPick(items, { placeHolder: "Compilot" });
      if (pick) {
        await vscode.commands.executeCommand(pick.command, ...("args" in pick ? [pick.args] : []));
      }
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("compilot.enable")) {
        if (c.enabled) {
          void c.start();
        } else {
          void c.stop("off");
        }
      } else if (e.affectsConfiguration("compilot.pythonPath") && c.enabled) {
        void c.restart();
      }
    }),
  );
  log.info("Compilot extension activated");
  void c.start();
}

export async function deactivate(): Promise<void> {
  await controller?.shutdown();
  controller = undefined;
}
