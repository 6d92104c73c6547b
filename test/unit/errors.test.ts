import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, PiRackError, httpCodeForStatus, pirackError } from '../../src/errors.ts';

const DOC = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
/** docs/errors.md's table rows: code, HTTP status, and the rest of the row. */
const documented = new Map(
  [...DOC.matchAll(/^\| `(PIRACK_ERR_[A-Z_]+)` \| (\d{3}) \|(.*)$/gm)].map((m) => [m[1]!, { status: Number(m[2]), rest: `|${m[3]!}` }]),
);

describe('error catalogue', () => {
  it('has unique, well-formed codes, each with a hint', () => {
    const codes = Object.keys(ERRORS);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [code, def] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^PIRACK_ERR_[A-Z_]+$/);
      expect(def.hint.length).toBeGreaterThan(10);
    }
  });

  it('gives every code an HTTP status, and the codes of the API a reason each', () => {
    const reasons = new Set<string>();
    for (const [code, def] of Object.entries(ERRORS)) {
      expect(def.status, code).toBeGreaterThanOrEqual(400);
      expect(def.status, code).toBeLessThan(600);
      if ('reason' in def) {
        expect(code).toMatch(/^PIRACK_ERR_HTTP_/);
        expect(reasons.has(def.reason), `reason ${def.reason} twice`).toBe(false);
        reasons.add(def.reason);
      }
    }
    expect(httpCodeForStatus(404)).toBe('PIRACK_ERR_HTTP_NOT_FOUND');
    expect(httpCodeForStatus(418)).toBeUndefined();
  });

  it('documents every code in docs/errors.md with its HTTP status, and nothing the catalogue lacks', () => {
    const missing = Object.keys(ERRORS).filter((code) => !documented.has(code));
    expect(missing, 'codes missing from docs/errors.md').toEqual([]);
    for (const [code, row] of documented) {
      expect(Object.hasOwn(ERRORS, code), `docs/errors.md names ${code}, which src/errors.ts lacks`).toBe(true);
      const def = ERRORS[code as keyof typeof ERRORS];
      expect(row.status, `${code}: HTTP status in the docs`).toBe(def.status);
      expect(row.rest, `${code}: transient in the docs`).toContain(def.transient ? '| yes |' : '| no |');
      if ('reason' in def) expect(row.rest, `${code}: reason in the docs`).toContain(`| ${def.reason} |`);
    }
  });

  it('says where, what and what to do, and keeps the cause', () => {
    const cause = new Error('ECONNREFUSED');
    const err = pirackError('PIRACK_ERR_SSH_UNREACHABLE', 'connection refused', { where: 'pi 7', cause });
    expect(err).toBeInstanceOf(PiRackError);
    expect(err.transient).toBe(true);
    expect(err.status).toBe(502);
    expect(err.cause).toBe(cause);
    expect(err.describe()).toMatch(/^pi 7: connection refused \(PIRACK_ERR_SSH_UNREACHABLE\)\. Check that the Pi is powered/);
    expect(JSON.stringify(err)).toContain('"code":"PIRACK_ERR_SSH_UNREACHABLE"');
  });
});
