import * as vscode from "vscode";

/** Settings read by the extension itself, never sent to the server. */
export const CLIENT_ONLY_KEYS = ["enable", "pythonPath"] as const;

/** What package.json holds of the settings (its server part is generated from compilot/settings.py). */
export interface PackageJson {
  contributes?: { configuration?: { properties?: Record<string, unknown> } };
}

/** The server's settings (camelCase): every `compilot.*` setting package.json declares but the client-only
 * ones, so a setting added to the server's schema reaches the server without an edit here. */
export function serverKeys(packageJson: PackageJson): string[] {
  const clientOnly: readonly string[] = CLIENT_ONLY_KEYS;
  return Object.keys(packageJson.contributes?.configuration?.properties ?? {})
    .map((key) => key.replace(/^compilot\./, ""))
    .filter((key) => !clientOnly.includes(key));
}

export type ServerSettings = Record<string, unknown>;

/**
 * The `compilot.*` settings the server understands, for `scope` (a document or folder, or none). Values the
 * user has not set are sent too, at their defaults from package.json, so the server sees one complete object.
 */
export function serverSettings(keys: readonly string[], scope?: vscode.ConfigurationScope): ServerSettings {
  const config = vscode.workspace.getConfiguration("compilot", scope);
  const out: ServerSettings = {};
  for (const key of keys) {
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
