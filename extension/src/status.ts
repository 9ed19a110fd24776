import * as vscode from "vscode";

/** Params of the server's `compilot/status` notification. */
export interface StatusParams {
  state: "loading" | "ready" | "error" | "off";
  message?: string;
  latencyMs?: number;
  checked?: boolean;
}

export type ClientState = "starting" | "loading" | "ready" | "off" | "error";

/** The status bar item: server state, the last completion's latency and whether javac checked it. */
export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private state: ClientState = "starting";
  private message: string | undefined;
  private latencyMs: number | undefined;
  private checked: boolean | undefined;

  constructor(command: string) {
    this.item = vscode.window.createStatusBarItem("compilot.status", vscode.StatusBarAlignment.Right, 100);
    this.item.name = "Compilot";
    this.item.command = command;
    this.render();
    this.item.show();
  }

  get current(): ClientState {
    return this.state;
  }

  set(state: ClientState, message?: string): void {
    this.state = state;
    this.message = message;
    this.render();
  }

  /** Applies a `compilot/status` notification. */
  update(params: StatusParams): void {
    if (typeof params.latencyMs === "number") {
      this.latencyMs = params.latencyMs;
      this.checked = params.checked;
    }
    this.set(params.state, params.message);
  }

  private render(): void {
    const item = this.item;
    item.backgroundColor = undefined;
    let text: string;
    let what: string;
    switch (this.state) {
      case "starting":
        text = "$(sync~spin) Compilot";
        what = "starting the language server";
        break;
      case "loading":
        text = "$(loading~spin) Compilot: loading model";
        what = "loading the model";
        break;
      case "ready":
        text = "$(check) Compilot";
        what = "ready";
        if (this.latencyMs !== undefined) {
          text += ` ${formatLatency(this.latencyMs)}`;
          if (this.checked !== undefined) {
            text += this.checked ? " $(pass)" : " $(question)";
          }
        }
        break;
      case "off":
        text = "$(circle-slash) Compilot: off";
        what = "off";
        break;
      case "error":
        text = "$(error) Compilot";
        what = "error";
        item.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
        break;
    }
    item.text = text;
    const lines = [`Compilot: ${what}`];
    if (this.message) {
      lines.push(this.message);
    }
    if (this.latencyMs !== undefined) {
      const check =
        this.checked === undefined ? "" : this.checked ? ", compile-checked by javac" : ", not compile-checked";
      lines.push(`Last completion: ${formatLatency(this.latencyMs)}${check}`);
    }
    lines.push("Click for Compilot commands");
    item.tooltip = lines.join("\n");
    item.accessibilityInformation = { label: lines.map((l) => l.replace(/\.$/, "")).join(". ") };
  }

  dispose(): void {
    this.item.dispose();
  }
}

export function formatLatency(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
