/**
 * How rack.yaml describes the login: root (the original's racks) or the sudo user Raspberry Pi
 * Imager created (stock Raspberry Pi OS), with its sudo password and bootstrap password.
 */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseRack } from '../../../src/config/load.ts';
import { baseRack, testOptions } from './fixtures.ts';

function load(ssh: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}) {
  const r = parseRack(stringify({ ...baseRack(), ...(ssh ? { ssh } : {}), ...extra }), testOptions());
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r;
}

describe('the login user', () => {
  it('root by default: no sudo, and the bootstrap user is the login user', () => {
    const { rack } = load({ bootstrap: { passwordFile: 'secrets/pw' } });
    expect(rack.ssh.user).toBe('root');
    expect(rack.ssh.sudo).toBeUndefined();
    expect(rack.ssh.bootstrap).toEqual({ user: 'root', passwordFile: '/nonexistent/rack/secrets/pw' });
  });

  it('a sudo user with a bootstrap password: that password is also the sudo password, and the keys are its own', () => {
    const { rack } = load({ user: 'pi', bootstrap: { passwordFile: 'secrets/pw' } });
    expect(rack.ssh.bootstrap).toEqual({ user: 'pi', passwordFile: '/nonexistent/rack/secrets/pw' });
    expect(rack.ssh.sudo).toEqual({ passwordFile: '/nonexistent/rack/secrets/pw', fromBootstrap: true });
    expect(rack.nodes[0]?.authorizedKeys.user).toBe('pi');
  });

  it('ssh.sudo.passwordFile wins; without any password file sudo must not ask (NOPASSWD)', () => {
    expect(load({ user: 'pi', sudo: { passwordFile: '/etc/pirack/sudo' }, bootstrap: { passwordFile: 'pw' } }).rack.ssh.sudo).toEqual({
      passwordFile: '/etc/pirack/sudo',
      fromBootstrap: false,
    });
    expect(load({ user: 'pi' }).rack.ssh.sudo).toEqual({ fromBootstrap: false });
  });

  it('a key preseeded by the Imager or cloud-init needs no bootstrap section at all', () => {
    const { rack } = load({ user: 'admin', sudo: {} });
    expect(rack.ssh.bootstrap).toBeUndefined();
    expect(rack.ssh.sudo).toEqual({ fromBootstrap: false });
  });

  it('ssh.sudo with a root login is a warning, not applied', () => {
    const r = load({ user: 'root', sudo: { passwordFile: 'x' } });
    expect(r.rack.ssh.sudo).toBeUndefined();
    expect(r.warnings.map((w) => w.message)).toEqual([expect.stringContaining('ssh.sudo is set but ssh.user is root')]);
  });

  it('refuses an authorizedKeys user other than the login user: the daemon could not log in by key', () => {
    const r = parseRack(
      stringify({ ...baseRack(), ssh: { user: 'pi' }, defaults: { ...baseRack().defaults, authorizedKeys: { user: 'root', keys: [] } } }),
      testOptions(),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.message)).toEqual([
      expect.stringContaining('defaults.authorizedKeys.user "root" is not the login user'),
    ]);
  });

  it('refuses unknown keys under ssh.sudo', () => {
    const r = parseRack(stringify({ ...baseRack(), ssh: { user: 'pi', sudo: { password: 'x' } } }), testOptions());
    expect(r.ok).toBe(false);
  });
});
