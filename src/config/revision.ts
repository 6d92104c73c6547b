import { createHash } from 'node:crypto';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A content revision: short enough to read in a status line, long enough not to collide in one rack's history. */
export function contentRevision(text: string): string {
  return `sha256:${sha256Hex(text).slice(0, 12)}`;
}
