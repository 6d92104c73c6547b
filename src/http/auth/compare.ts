import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time token comparison. Hashing first gives both sides the same length, so neither the
 * length nor the position of the first difference leaks through timing.
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
