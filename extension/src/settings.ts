import * as vscode from "vscode";

/** Settings read by the extension itself, never sent to the server. */
export const CLIENT_ONLY_KEYS = ["enable", "pythonPath"] as const;

/** The server's settings (camelCase, as `compilot.settings.Settings.updated` accepts them). */
export const SERVER_KEYS = [
  "model",
  "backend",
  "endpoint",
  "device",
  "samples",
  "maxNewTokens",
  "lineSeconds",
  "temperature",
  "topK",
  "seed",
  "guards",
  "verify",
  "truncate",
  "maxResults",
  "javaRelease",
  "classpath",
  "sourcepath",
  "prompt",
  "promptChars",
  "checkTimeout",
  "logLevel",
] as const;

export type ServerSettings = Record<string, unknown>;

/**
 * The `compilot.*` settings the server understands, for `scope` (a document or folder, or none). Values the
 * user has not set are sent too, at their defaults from package.json, so the server sees one complete object.
 */
export function serverSettings(scope?: vscode.ConfigurationScope): ServerSettings {
  const config = vscode.workspace.getConfiguration("compilot", scope);
  const out: ServerSettings = {};
  for (const key of SERVER_KEYS) {
    const value = config.get<unknown>(key);
    if (value !== undefined) {
      out[key] = value;
    }
  }
  return out;
}

/** `value` (the `compilot` section or anything else) without the client-only keys. */
export function withoutClientKeys(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return value;
  }
  const clientOnly: readonly string[] = CLIENT_ONLY_KEYS;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !clientOnly.includes(key)));
}
