import { describe, expect, it } from 'vitest';
import { ERRORS, PiRackError, pirackError } from '../../src/errors.ts';

describe('error catalogue', () => {
  it('has unique, well-formed codes, each with a hint', () => {
    const codes = Object.keys(ERRORS);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [code, def] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^PIRACK_ERR_[A-Z_]+$/);
      expect(def.hint.length).toBeGreaterThan(10);
    }
  });

  it('says where, what and what to do, and keeps the cause', () => {
    const cause = new Error('ECONNREFUSED');
    const err = pirackError('PIRACK_ERR_SSH_UNREACHABLE', 'connection refused', { where: 'pi 7', cause });
    expect(err).toBeInstanceOf(PiRackError);
    expect(err.transient).toBe(true);
    expect(err.cause).toBe(cause);
    expect(err.describe()).toMatch(/^pi 7: connection refused \(PIRACK_ERR_SSH_UNREACHABLE\)\. Check that the Pi is powered/);
    expect(JSON.stringify(err)).toContain('"code":"PIRACK_ERR_SSH_UNREACHABLE"');
  });
});
