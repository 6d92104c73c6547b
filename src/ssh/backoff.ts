/**
 * Spacing of reconnect attempts to a Pi that failed: a dead or rebooting Pi is not hammered, and
 * repeated bootstrap-password attempts stay slow enough not to trip fail2ban-like defences. The
 * delay itself is the shared one (src/util/backoff.ts).
 */
import type { BackoffPolicy } from '../util/backoff.ts';

export const DEFAULT_RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };
