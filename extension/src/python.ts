import * as cp from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as vscode from "vscode";

export interface PythonChoice {
  /** The interpreter to run. */
  command: string;
  /** Where the choice came from, for messages. */
  source: string;
}

function venvPython(dir: string): string {
  return process.platform === "win32"
    ? path.join(dir, ".venv", "Scripts", "python.exe")
    : path.join(dir, ".venv", "bin", "python");
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function expand(p: string, folder: vscode.WorkspaceFolder | undefined): string {
  let out = p.trim();
  if (out === "~" || out.startsWith("~/")) {
    out = path.join(os.homedir(), out.slice(1));
  }
  if (folder) {
    out = out.replace(/\$\{workspaceFolder\}/g, folder.uri.fsPath);
  }
  if (!path.isAbsolute(out) && out.includes(path.sep) && folder) {
    out = path.join(folder.uri.fsPath, out);
  }
  return out;
}

/**
 * The Python interpreter for the server: the setting `compilot.pythonPath`; else `.venv/bin/python` in a
 * workspace folder; else `.venv/bin/python` beside the extension (the extension's repository, also when the
 * extension folder is a link or holds a linked package.json); else `python3`.
 */
export function choosePython(extensionPath: string): PythonChoice {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const setting = vscode.workspace.getConfiguration("compilot").get<string | null>("pythonPath");
  if (setting && setting.trim()) {
    return { command: expand(setting, folders[0]), source: "the setting compilot.pythonPath" };
  }
  for (const folder of folders) {
    const candidate = venvPython(folder.uri.fsPath);
    if (isFile(candidate)) {
      return { command: candidate, source: `the workspace folder ${folder.name}` };
    }
  }
  const beside = new Set<string>([extensionPath]);
  try {
    beside.add(fs.realpathSync(extensionPath));
    beside.add(path.dirname(fs.realpathSync(path.join(extensionPath, "package.json"))));
  } catch {
    // a missing package.json cannot happen in an installed extension; keep what we have
  }
  for (const dir of beside) {
    const candidate = venvPython(dir);
    if (isFile(candidate)) {
      return { command: candidate, source: "the extension's repository" };
    }
  }
  return { command: process.platform === "win32" ? "python" : "python3", source: "the PATH" };
}

export type ProbeResult =
  | { ok: true; version: string }
  | { ok: false; reason: "missing" | "not-installed" | "failed"; detail: string };

/** Checks that `python` runs and can import compilot, without importing it (which loads torch). */
export function probePython(python: string, cwd: string | undefined): Promise<ProbeResult> {
  const code =
    "import importlib.util, sys\n" +
    "spec = importlib.util.find_spec('compilot')\n" +
    "print(sys.version.split()[0])\n" +
    "sys.exit(0 if spec else 3)\n";
  return new Promise((resolve) => {
    cp.execFile(python, ["-c", code], { cwd, timeout: 20000 }, (error, stdout, stderr) => {
      if (!error) {
        resolve({ ok: true, version: stdout.trim() });
        return;
      }
      const err = error as Error & { code?: string | number | null };
      if (err.code === "ENOENT" || err.code === "EACCES") {
        resolve({ ok: false, reason: "missing", detail: err.message });
      } else if (err.code === 3) {
        resolve({ ok: false, reason: "not-installed", detail: `Python ${stdout.trim()}` });
      } else {
        resolve({ ok: false, reason: "failed", detail: (stderr || err.message).trim() });
      }
    });
  });
}
