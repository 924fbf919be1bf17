/**
 * A setting that is missing or wrong. Its message is one line that names the setting; a process stops
 * at start with it (config.ts `exitOnSettingsError`), not with a stack trace.
 */
export class SettingsError extends Error {
  override name = 'SettingsError';
}
