/**
 * Lookups by a name that came from outside (rack.yaml, a Pi's probe output, a request). A plain
 * object answers `constructor`, `toString` or `__proto__` from its prototype, so every such
 * lookup asks for the object's own property, and records built from outside names are built with
 * Object.fromEntries (which defines `__proto__` as an ordinary key instead of setting the prototype).
 */

/** The record's own value for `key`, never one inherited from Object.prototype. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
