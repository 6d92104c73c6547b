/**
 * Small pure rules the edge (src/config) and the controllers must agree on, kept once: when two
 * authorized_keys lines are the same key, and when two file modes are the same mode.
 */

/** A key's identity is its type and base64 blob; options in front and comments may differ. Undefined: not a key line. */
export function keyIdentity(line: string): string | undefined {
  const match = /(?:^|\s)((?:ssh|ecdsa|sk)-[\w@.-]+)\s+([A-Za-z0-9+/=]+)/.exec(line.trim());
  return match ? `${match[1]} ${match[2]}` : undefined;
}

/** The canonical form of an octal mode, four digits: "644", "0644" and "00644" are all "0644"; "4755" stays. */
export function normalizeMode(mode: string): string {
  if (!/^[0-7]{1,5}$/.test(mode)) return mode;
  return parseInt(mode, 8).toString(8).padStart(4, '0');
}

/** "0644", "644" and "00644" are the same mode. */
export function sameMode(a: string | undefined, b: string): boolean {
  return a !== undefined && normalizeMode(a) === normalizeMode(b);
}
