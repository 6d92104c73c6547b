/**
 * Browser sessions after a successful login: random ids kept in memory only, so a daemon restart
 * logs everyone out (the token is the durable credential, not the session).
 */
import { randomBytes } from 'node:crypto';

export interface SessionStoreOptions {
  readonly ttlMs: number;
  /** Oldest sessions are dropped beyond this, so logins cannot grow memory without bound. */
  readonly maxSessions?: number;
  readonly now?: () => number;
}

export interface SessionStore {
  create(): { readonly id: string; readonly expiresAt: number };
  isValid(id: string): boolean;
  revoke(id: string): void;
  readonly size: number;
}

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const now = options.now ?? Date.now;
  const max = options.maxSessions ?? 256;
  // Map iteration order is insertion order: the first key is the oldest session.
  const sessions = new Map<string, number>();

  function sweep(): void {
    const t = now();
    for (const [id, expiresAt] of sessions) if (expiresAt <= t) sessions.delete(id);
  }

  return {
    create() {
      sweep();
      while (sessions.size >= max) {
        const oldest = sessions.keys().next().value;
        if (oldest === undefined) break;
        sessions.delete(oldest);
      }
      const id = randomBytes(32).toString('base64url');
      const expiresAt = now() + options.ttlMs;
      sessions.set(id, expiresAt);
      return { id, expiresAt };
    },
    isValid(id) {
      // Lookup by key is not constant-time, but ids are 256 random bits: timing reveals nothing usable.
      const expiresAt = sessions.get(id);
      if (expiresAt === undefined) return false;
      if (expiresAt <= now()) {
        sessions.delete(id);
        return false;
      }
      return true;
    },
    revoke(id) {
      sessions.delete(id);
    },
    get size() {
      return sessions.size;
    },
  };
}
