/**
 * Small pure rules the edge (src/config) and the controllers must agree on, kept once: when two
 * authorized_keys lines are the same key, and when two file modes are the same mode.
 */
import { boundedMemo } from '../util/memo.ts';

const KEY_LINE = /(?:^|\s)((?:ssh|ecdsa|sk)-[\w@.-]+)\s+([A-Za-z0-9+/=]+)/;

// Memoised: the keys and files planners ask for every line and mode of every Pi on every pass, and a rack holds a handful of distinct ones.

/** A key's identity is its type and base64 blob; options in front and comments may differ. Undefined: not a key line. */
export const keyIdentity: (line: string) => string | undefined = boundedMemo((line) => {
  const match = KEY_LINE.exec(line.trim());
  return match ? `${match[1]} ${match[2]}` : undefined;
});

/** The canonical form of an octal mode, four digits: "644", "0644" and "00644" are all "0644"; "4755" stays. */
export const normalizeMode: (mode: string) => string = boundedMemo((mode) =>
  /^[0-7]{1,5}$/.test(mode) ? parseInt(mode, 8).toString(8).padStart(4, '0') : mode,
);

/** "0644", "644" and "00644" are the same mode. */
export function sameMode(a: string | undefined, b: string): boolean {
  // The probe and the resolved spec both print four digits, so equal strings are the common case.
  return a !== undefined && (a === b || normalizeMode(a) === normalizeMode(b));
}
