import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkObjectId, cdistManifest, objectName, type ManifestOptions } from '../../../../bench/contenders/cdist-manifest.ts';
import { OPERATOR_KEY, DAEMON_KEY, SLAVE_JS, SLAVE_UNIT, fileSpec, nodeSpec } from '../../../support/fixtures.ts';

const options = (model = nodeSpec()): ManifestOptions => ({ model, aptMaxAgeSeconds: 86_400, sourceOf: (i) => `/w/files/${i}` });

/** The manifest's type calls, each as the argv a shell reads back (sh prints one word a line). */
function calls(manifest: string): string[][] {
  // Every type becomes a function printing its name, its `require` and its words, so the test
  // sees exactly what cdist would receive, after the real shell's quote removal.
  const prelude = [
    '__ssh_authorized_keys',
    '__package_update_index',
    '__package_apt',
    '__directory',
    '__file',
    '__start_on_boot',
    '__systemd_service',
  ]
    .map((t) => `${t}() { printf '%s\\0' "@call" ${t} "require=\${require:-}" "$@"; }`)
    .join('\n');
  const r = spawnSync('sh', ['-c', `${prelude}\n${manifest}`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split('@call\0')
    .filter((c) => c !== '')
    .map((c) => c.split('\0').slice(0, -1));
}

const find = (all: string[][], type: string, id?: string): string[] => {
  const hit = all.find((c) => c[0] === type && (id === undefined || c[2] === id));
  expect(hit, `${type} ${id ?? ''}`).toBeDefined();
  return hit!;
};

describe('cdistManifest', () => {
  it('declares the same keys, packages, files and services as the rack', () => {
    const all = calls(cdistManifest(options()));
    expect(find(all, '__ssh_authorized_keys')).toEqual([
      '__ssh_authorized_keys',
      'require=',
      'root',
      '--owner',
      'root',
      '--key',
      DAEMON_KEY,
      '--key',
      OPERATOR_KEY,
    ]);
    expect(find(all, '__package_update_index')).toEqual(['__package_update_index', 'require=', '--maxage', '86400']);
    expect(find(all, '__package_apt', 'bc')).toEqual(['__package_apt', 'require=__package_update_index', 'bc', '--state', 'present']);
    expect(find(all, '__package_apt', 'nodejs')).toEqual([
      '__package_apt',
      'require=__package_update_index',
      'nodejs',
      '--state',
      'present',
    ]);
    expect(find(all, '__package_apt', 'telnet')).toEqual(['__package_apt', 'require=', 'telnet', '--state', 'absent', '--purge-if-absent']);
    expect(find(all, '__directory', '/usr/local/lib/pirack')).toEqual([
      '__directory',
      'require=',
      '/usr/local/lib/pirack',
      '--parents',
      '--mode',
      '0755',
    ]);
    expect(find(all, '__file', SLAVE_JS.path)).toEqual([
      '__file',
      'require=__directory/usr/local/lib/pirack __package_apt/bc __package_apt/nodejs __package_apt/telnet',
      SLAVE_JS.path,
      '--source',
      '/w/files/0',
      '--owner',
      'root',
      '--group',
      'root',
      '--mode',
      '0644',
    ]);
    // Only a unit file reloads systemd when it changes.
    expect(find(all, '__file', SLAVE_UNIT.path).slice(-2)).toEqual(['--onchange', 'systemctl daemon-reload']);
  });

  it('enables, then starts the service, restarting it only when its own files changed', () => {
    const extra = fileSpec('/etc/pirack/unrelated.conf', 'x=1\n');
    const all = calls(cdistManifest(options(nodeSpec({ files: [SLAVE_JS, SLAVE_UNIT, extra] }))));
    const boot = find(all, '__start_on_boot', 'pirack-slave.service');
    expect(boot.slice(2)).toEqual(['pirack-slave.service', '--state', 'present']);
    // Ordered after every file and package.
    expect(boot[1]!.replace('require=', '').split(' ')).toEqual(
      expect.arrayContaining(['__file/etc/pirack/unrelated.conf', '__package_apt/nodejs']),
    );
    const service = find(all, '__systemd_service', 'pirack-slave.service');
    expect(service.slice(2)).toEqual(['pirack-slave.service', '--state', 'running', '--action', 'restart', '--if-required']);
    // --if-required looks for changes of the required objects: the slave and its unit, not the unrelated file.
    expect(service[1]).toBe(
      `require=${objectName('__file', SLAVE_JS.path)} ${objectName('__file', SLAVE_UNIT.path)} __start_on_boot/pirack-slave.service`,
    );
  });

  it('declares a disabled, stopped service as such, with no restart', () => {
    const all = calls(
      cdistManifest(options(nodeSpec({ services: [{ name: 'telnetd.service', enabled: false, running: false, restartOnChangeOf: [] }] }))),
    );
    expect(find(all, '__start_on_boot').slice(2)).toEqual(['telnetd.service', '--state', 'absent']);
    expect(find(all, '__systemd_service').slice(2)).toEqual(['telnetd.service', '--state', 'stopped']);
  });

  it('removes undeclared keys only when the rack says exclusive', () => {
    const exclusive = nodeSpec({ authorizedKeys: { user: 'pi', keys: [DAEMON_KEY], exclusive: true } });
    expect(find(calls(cdistManifest(options(exclusive))), '__ssh_authorized_keys').slice(2)).toEqual([
      'pi',
      '--owner',
      'pi',
      '--key',
      DAEMON_KEY,
      '--remove-unknown',
    ]);
  });

  it('leaves out what the rack does not declare', () => {
    const empty = nodeSpec({ authorizedKeys: { user: 'root', keys: [], exclusive: false }, packages: [], files: [], services: [] });
    expect(calls(cdistManifest(options(empty)))).toEqual([]);
  });

  it('quotes every value so the manifest shell reads it back verbatim', () => {
    const nasty = 'it\'s $(reboot) `x` "y"';
    const model = nodeSpec({
      authorizedKeys: { user: 'root', keys: [`${DAEMON_KEY.split(' ').slice(0, 2).join(' ')} ${nasty}`], exclusive: false },
      files: [fileSpec('/etc/pirack/a b.conf', 'x', { owner: 'root', group: 'root', mode: '0600' })],
      services: [],
    });
    const all = calls(cdistManifest({ ...options(model), sourceOf: () => `/w/files/${nasty}` }));
    expect(find(all, '__ssh_authorized_keys').at(-1)).toBe(`${DAEMON_KEY.split(' ').slice(0, 2).join(' ')} ${nasty}`);
    const file = find(all, '__file', '/etc/pirack/a b.conf');
    expect(file[file.indexOf('--source') + 1]).toBe(`/w/files/${nasty}`);
  });

  it("refuses names cdist's own types would paste into shell code unquoted", () => {
    expect(() => cdistManifest(options(nodeSpec({ packages: [{ name: "bc'", state: 'present' }] })))).toThrow(
      /cannot manage package "bc'": it contains a quote/,
    );
    expect(() => cdistManifest(options(nodeSpec({ files: [fileSpec('/etc//x', 'x')] })))).toThrow(/contains \/\//);
    expect(() => checkObjectId('service', '')).toThrow(/is empty/);
    expect(checkObjectId('file', '/etc/x')).toBe('/etc/x');
  });
});
