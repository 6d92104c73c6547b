/**
 * Every remote script generator, fed hostile values, run for real under dash (Debian's /bin/sh,
 * what a Pi's login shell runs `sh -c` with) and bash. Commands a Pi would run for real are
 * recording shims (test/support/shell-sandbox.ts): the tests assert that each value arrived as one
 * argument, byte for byte, and that no injected command ran. Values the schema would refuse are
 * used on purpose: the quoting must hold on its own.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesController } from '../../../controllers/files.ts';
import { keysController } from '../../../controllers/keys.ts';
import { packagesController } from '../../../controllers/packages.ts';
import { servicesController } from '../../../controllers/services.ts';
import { nodeControllers } from '../../../controllers/index.ts';
import type { NodeAction } from '../../../src/model/actions.ts';
import type { NodeSpec } from '../../../src/model/desired.ts';
import { buildProbeScript } from '../../../src/probe/probe.ts';
import type { DhcpContext, NodeContext, NodeController } from '../../../src/reconcile/controller.ts';
import type { RelayDriver } from '../../../src/relay/types.ts';
import { systemClock } from '../../../src/util/clock.ts';
import { atomicWriteScript } from '../../../src/remote/write-file.ts';
import { createSandbox, type Sandbox } from '../../support/shell-sandbox.ts';
import { DAEMON_KEY, fileSpec, nodeSpec, policies, sha } from '../../support/fixtures.ts';

const SHELLS = ['/usr/bin/dash', '/usr/bin/bash'];

let box: Sandbox;
beforeAll(() => {
  box = createSandbox();
});
afterAll(() => box?.remove());

/** Hostile values; `c` is the canary path an injected command would create. */
function hostile(c: string): [string, string][] {
  const fourK = `'"\`$(touch ${c})\\\n;|&*?[]{}~<>#! `.repeat(200).slice(0, 4096);
  return [
    ['the reported path injection', `x"; }; touch ${c}; { echo "`],
    ['command substitution', `$(touch ${c})`],
    ['backticks', `\`touch ${c}\``],
    ['single quotes', `'; touch ${c}; echo '`],
    ['newlines', `a\ntouch ${c}\nb`],
    ['backslash escapes dash echo reads', 'back\\nslash\\c'],
    ['a leading dash', '-n -e'],
    ['globs and spaces', ' * ? [a-z] '],
    ['4 KB of everything', fourK],
  ];
}

/**
 * A file path under the sandbox holding `value`, cut into components short enough for NAME_MAX
 * and kept under PATH_MAX (the schema's own bound on paths is 4096).
 */
function pathWith(value: string, shell: string): string {
  const parts = value
    .slice(0, 3600)
    .replace(/\//g, '%')
    .match(/[^]{1,200}/g) ?? ['x'];
  return join(box.dir, 'files', shell.replace(/\W/g, '_'), ...parts.map((p) => (p === '.' || p === '..' ? `_${p}` : p)));
}

function ctxFor(node: NodeSpec, shell: string): NodeContext {
  // Node executors use only ssh; the relay and DHCP effects are there for the rack controllers.
  const unused = new Proxy(
    {},
    {
      get: () => {
        throw new Error('a node executor used a rack effect');
      },
    },
  );
  return {
    node,
    target: { node: node.id, host: 'localhost', port: 22 },
    ssh: box.runner(shell),
    policies,
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    now: Date.now,
    clock: systemClock,
    relay: unused as RelayDriver,
    dhcp: unused as DhcpContext,
    emit: () => undefined,
  };
}

async function apply(controller: NodeController, action: NodeAction, node: NodeSpec, shell: string) {
  return (controller as unknown as { apply(a: NodeAction, c: NodeContext): Promise<{ ok: boolean; error?: Error }> }).apply(
    action,
    ctxFor(node, shell),
  );
}

function expectNoInjection(): void {
  expect(existsSync(box.canary), 'an injected command ran').toBe(false);
}

describe.each(SHELLS)('remote scripts under %s', (shell) => {
  const cases = () => hostile(join(box?.dir ?? '/nonexistent', 'PWNED'));
  // describe.each evaluates before beforeAll; the canary path is only known at run time.
  const names = hostile('/c').map(([name]) => name);

  it.each(names)('atomicWriteScript writes a path with %s byte-exact, and names it in the mismatch error', async (name) => {
    const value = cases().find(([n]) => n === name)![1];
    const path = pathWith(`write-${value}`, shell);
    const content = `content for ${value}\n`;
    box.reset();
    const ok = await box.run(shell, atomicWriteScript({ path, sha256: sha(content), owner: 'root', group: value, mode: '0640' }), content);
    expect(ok.stderr).toBe('');
    expect(ok.exitCode).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(content);
    expect((statSync(path).mode & 0o777).toString(8)).toBe('640');
    expect(
      box
        .calls()
        .filter((c) => c[0] === 'chown')
        .map((c) => c.slice(1)),
    ).toEqual([['root:' + value, expect.stringContaining(join(dirname(path), '.pirack.'))]]);
    const bad = await box.run(
      shell,
      atomicWriteScript({ path, sha256: sha('other'), owner: 'root', group: 'root', mode: '0640' }),
      content,
    );
    expect(bad.exitCode).toBe(3);
    expect(bad.stderr).toBe(`pirack: content checksum mismatch, ${path} left unchanged\n`);
    expectNoInjection();
  });

  it.each(names)('files: observe, set attributes and write with a path holding %s', async (name) => {
    const value = cases().find(([n]) => n === name)![1];
    const present = pathWith(`present-${value}`, shell);
    const absent = pathWith(`absent-${value}`, shell);
    mkdirSync(dirname(present), { recursive: true });
    writeFileSync(present, 'x\n');
    const node = nodeSpec({ files: [fileSpec(present, 'x\n', { mode: '0600' }), fileSpec(absent, 'y\n')] });
    const out = await box.run(shell, filesController.observe.script(node));
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toBe(`file 644 root root ${sha('x\n')} ${present}\nmissing ${absent}\n`);
    box.reset();
    const attrs = await apply(
      filesController as unknown as NodeController,
      { kind: 'file-attrs', node: 7, path: present, owner: 'root', group: 'root', mode: '0600' },
      node,
      shell,
    );
    expect(attrs.ok).toBe(true);
    expect((statSync(present).mode & 0o777).toString(8)).toBe('600');
    expect(box.calls().find((c) => c[0] === 'chown')).toEqual(['chown', 'root:root', present]);
    const write = await apply(
      filesController as unknown as NodeController,
      { kind: 'file-write', node: 7, path: absent, sha256: sha('y\n'), reason: 'missing' },
      node,
      shell,
    );
    expect(write.ok).toBe(true);
    expect(readFileSync(absent, 'utf8')).toBe('y\n');
    expectNoInjection();
  });

  it.each(names)('packages: dpkg-query and apt-get receive a name holding %s as one argument', async (name) => {
    const value = cases().find(([n]) => n === name)![1];
    const node = nodeSpec({
      packages: [
        { name: value, state: 'present' },
        { name: 'bc', state: 'present' },
      ],
    });
    box.reset();
    await box.run(shell, packagesController.observe.script(node));
    expect(
      box
        .calls()
        .find((c) => c[0] === 'dpkg-query')
        ?.slice(-2),
    ).toEqual([value, 'bc']);
    for (const action of [
      { kind: 'pkg-install', node: 7, pkgs: [value, 'bc'], updateLists: false },
      { kind: 'pkg-remove', node: 7, pkgs: [value] },
    ] as NodeAction[]) {
      box.reset();
      await apply(packagesController as unknown as NodeController, action, node, shell);
      const apt = box.calls().find((c) => c[0] === 'apt-get')!;
      expect(apt.slice(-(action.kind === 'pkg-install' ? 2 : 1))).toEqual(action.kind === 'pkg-install' ? [value, 'bc'] : [value]);
    }
    expectNoInjection();
  });

  it.each(names)('packages: every apt-get receives a master.aptProxy holding %s as one -o argument', async (name) => {
    const value = cases().find(([n]) => n === name)![1];
    const node = nodeSpec({ aptProxy: value, packages: [{ name: 'bc', state: 'present' }] });
    for (const action of [
      { kind: 'pkg-install', node: 7, pkgs: ['bc'], updateLists: true },
      { kind: 'pkg-remove', node: 7, pkgs: ['bc'] },
      { kind: 'pkg-repair', node: 7, audit: 'half configured' },
    ] as NodeAction[]) {
      box.reset();
      await apply(packagesController as unknown as NodeController, action, node, shell);
      const apts = box.calls().filter((c) => c[0] === 'apt-get');
      expect(apts.length).toBe(action.kind === 'pkg-install' ? 2 : 1);
      for (const apt of apts) {
        const at = apt.indexOf(`Acquire::http::Proxy=${value}`);
        expect(at, JSON.stringify(apt)).toBeGreaterThan(1);
        expect(apt[at - 1]).toBe('-o');
      }
    }
    expectNoInjection();
  });

  it.each(names)('services: systemctl receives a unit holding %s after --', async (name) => {
    const value = cases().find(([n]) => n === name)![1];
    const node = nodeSpec({ services: [{ name: value, enabled: true, running: true, restartOnChangeOf: [] }] });
    box.reset();
    const out = await box.run(shell, servicesController.observe.script(node));
    expect(out.stdout).toBe(`unit ${value} not-found unknown no\n`);
    expect(box.calls().map((c) => c.slice(-2))).toEqual([
      ['--', value],
      ['--', value],
      ['--', value],
    ]);
    for (const action of [
      { kind: 'service-enable', node: 7, unit: value, enable: true },
      { kind: 'service-start', node: 7, unit: value, start: true },
      { kind: 'service-restart', node: 7, unit: value, because: [] },
    ] as NodeAction[]) {
      box.reset();
      await apply(servicesController as unknown as NodeController, action, node, shell);
      expect(box.calls().map((c) => c.slice(-2))).toEqual([['--', value]]);
    }
    expectNoInjection();
  });

  it.each(names)('keys: getent, id and chown receive a user holding %s; the keys land in its home', async (name) => {
    const value = cases().find(([n]) => n === name)![1];
    const node = nodeSpec({ authorizedKeys: { user: value, keys: [DAEMON_KEY], exclusive: false } });
    box.reset();
    await box.run(shell, keysController.observe.script(node));
    expect(box.calls()).toEqual([['getent', 'passwd', value]]);
    box.reset();
    const result = await apply(
      keysController as unknown as NodeController,
      { kind: 'keys-write', node: 7, user: value, keys: [DAEMON_KEY], added: 1, removed: 0 },
      node,
      shell,
    );
    expect(result.error?.message).toBeUndefined();
    expect(readFileSync(join(box.home, '.ssh', 'authorized_keys'), 'utf8')).toBe(`${DAEMON_KEY}\n`);
    const calls = box.calls().filter((c) => c[0] !== 'sync');
    expect(calls.slice(0, 3)).toEqual([
      ['getent', 'passwd', value],
      ['id', '-gn', value],
      ['chown', `${value}:root`, join(box.home, '.ssh')],
    ]);
    expect(calls[3]?.[1]).toBe(`${value}:root`);
    expectNoInjection();
  });

  it('the whole probe script of a Pi declaring every hostile value runs without injection', async () => {
    const values = cases().map(([, v]) => v);
    const node = nodeSpec({
      packages: values.map((v) => ({ name: v, state: 'present' as const })),
      files: values.map((v) => fileSpec(pathWith(`probe-${v}`, shell), 'z')),
      services: values.map((v) => ({ name: v, enabled: true, running: true, restartOnChangeOf: [] })),
      authorizedKeys: { user: values[0]!, keys: [DAEMON_KEY], exclusive: false },
    });
    box.reset();
    const out = await box.run(shell, buildProbeScript(node, nodeControllers));
    expect(out.stdout).toContain('@@pirack:end\n');
    expect(
      box
        .calls()
        .find((c) => c[0] === 'dpkg-query')
        ?.slice(-values.length),
    ).toEqual(values);
    for (const file of node.files) expect(out.stdout.includes(`\nmissing ${file.path}\n`), file.path.slice(-80)).toBe(true);
    expectNoInjection();
  });
});

describe('values a shell cannot carry', () => {
  const nul = 'bc\0; touch /tmp/pirack-nul';
  const node = nodeSpec({
    packages: [{ name: nul, state: 'present' }],
    services: [{ name: nul, enabled: true, running: true, restartOnChangeOf: [] }],
    files: [fileSpec(`/etc/${nul}`, 'x')],
    authorizedKeys: { user: nul, keys: [], exclusive: false },
  });

  it('a NUL is refused by every generator, never cut short', () => {
    expect(() => atomicWriteScript({ path: `/etc/${nul}`, sha256: sha('x'), owner: 'root', group: 'root', mode: '0644' })).toThrow(/NUL/);
    // The hostname probe puts no value of the node into its script, so it has nothing to refuse.
    for (const controller of nodeControllers.filter((c) => c.name !== 'hostname'))
      expect(() => controller.observe.script(node), controller.name).toThrow(/NUL/);
    expect(() => buildProbeScript(node, nodeControllers)).toThrow(/NUL/);
  });

  it('a NUL is refused by the executors before anything is sent', async () => {
    const runner = box.runner('/usr/bin/dash');
    const ctx = { ...ctxFor(node, '/usr/bin/dash'), ssh: runner };
    await expect(
      (packagesController as unknown as { apply(a: NodeAction, c: NodeContext): Promise<unknown> }).apply(
        { kind: 'pkg-install', node: 7, pkgs: [nul], updateLists: false },
        ctx,
      ),
    ).rejects.toThrow(/NUL/);
    await expect(
      (servicesController as unknown as { apply(a: NodeAction, c: NodeContext): Promise<unknown> }).apply(
        { kind: 'service-start', node: 7, unit: nul, start: true },
        ctx,
      ),
    ).rejects.toThrow(/NUL/);
    expect(runner.commands).toEqual([]);
  });
});
