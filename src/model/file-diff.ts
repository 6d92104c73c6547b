/**
 * Unified diffs of managed file contents for `pirack plan`, with secrets masked on both sides
 * before diffing, so a diff never shows a secret that is on the Pi or in rack.yaml. Pure: the
 * caller fetches what is on the Pi.
 *
 * What counts as secret, in order:
 * - a file whose mode gives others no read permission (0600, 0640…): nothing of it is shown;
 * - a PEM block (`-----BEGIN … PRIVATE KEY-----`): the block is replaced by one marker line;
 * - a `key = value` / `key: value` line whose key names a secret (password, secret, token, api key,
 *   private key, credential): the value is masked.
 */
import { createTwoFilesPatch } from 'diff';

export const MASK = '********';

/** Bigger than this on either side, or not text: said, not shown. */
export const MAX_DIFF_BYTES = 256 * 1024;

const SECRET_KEY =
  /^(\s*(?:export\s+)?["']?[\w.-]*(?:pass(?:word|wd|phrase)?|secret|token|api[_-]?key|private[_-]?key|credentials?)[\w.-]*["']?\s*[:=]\s*)(\S.*)$/i;
const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/;
const PEM_END = /-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/;

/** Whether a mode such as "0600" keeps the file from other users: its content is a secret. */
export function isPrivateMode(mode: string): boolean {
  const bits = Number.parseInt(mode, 8);
  return Number.isNaN(bits) || (bits & 0o004) === 0;
}

/** The text with every secret value replaced by MASK; lines keep their count outside PEM blocks. */
export function maskSecrets(text: string): string {
  const out: string[] = [];
  let inPem = false;
  for (const line of text.split('\n')) {
    if (inPem) {
      if (PEM_END.test(line)) inPem = false;
      continue;
    }
    if (PEM_BEGIN.test(line)) {
      out.push(`${MASK} (private key)`);
      inPem = !PEM_END.test(line.slice(line.search(PEM_BEGIN) + 10));
      continue;
    }
    const secret = SECRET_KEY.exec(line);
    out.push(secret ? `${secret[1]}${MASK}` : line);
  }
  return out.join('\n');
}

export type FileDiff =
  | { readonly kind: 'diff'; readonly path: string; readonly patch: string }
  | { readonly kind: 'withheld'; readonly path: string; readonly why: string };

function notText(text: string): boolean {
  return text.includes('\u0000');
}

/**
 * The unified diff from what the Pi has (`current`, undefined when the file is missing) to the
 * declared content; `mode` is the declared mode, which decides whether the content is secret.
 */
export function fileDiff(path: string, declared: string, mode: string, current: string | undefined): FileDiff {
  if (isPrivateMode(mode)) return { kind: 'withheld', path, why: `content not shown: mode ${mode} is not world-readable (a secret)` };
  const sizes = [Buffer.byteLength(declared), current === undefined ? 0 : Buffer.byteLength(current)];
  if (sizes.some((n) => n > MAX_DIFF_BYTES)) return { kind: 'withheld', path, why: `content not shown: over ${MAX_DIFF_BYTES / 1024} KiB` };
  if (notText(declared) || (current !== undefined && notText(current))) return { kind: 'withheld', path, why: 'content not shown: binary' };
  const patch = createTwoFilesPatch(
    current === undefined ? '/dev/null' : `a${path}`,
    `b${path}`,
    current === undefined ? '' : maskSecrets(current),
    maskSecrets(declared),
    current === undefined ? '(missing on the Pi)' : 'on the Pi',
    'rack.yaml',
    { context: 3 },
  );
  // The header's "===" line says nothing a reader of `diff -u` expects.
  return { kind: 'diff', path, patch: patch.replace(/^=+\n/m, '').trimEnd() };
}
