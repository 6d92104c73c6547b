import type { PackagesFacts } from '../../../src/model/observed.ts';
import { describe, expect, it } from 'vitest';
import { packagesController } from '../../../controllers/packages.ts';
import { blankFacts, convergedFacts, nodeSpec, NOW, policies } from '../../support/fixtures.ts';

const plan = (facts = convergedFacts(), spec = nodeSpec()) => packagesController.plan(spec, facts, [], NOW, policies);
const withPackages = (packages: Partial<ReturnType<typeof convergedFacts>['packages']>) =>
  convergedFacts({ packages: { ...convergedFacts().packages, ...packages } });

describe('packages controller plan', () => {
  it('plans nothing when present packages are installed and absent ones are not', () => {
    expect(plan()).toEqual([]);
  });

  it('installs missing packages in one action, updating lists when there are none', () => {
    expect(plan(blankFacts())).toEqual([{ kind: 'pkg-install', node: 7, pkgs: ['bc', 'nodejs'], updateLists: true }]);
  });

  it('does not update fresh lists', () => {
    const facts = withPackages({ byName: { nodejs: { status: 'ii' } }, listsMtime: (NOW - 60_000) / 1000 });
    expect(plan(facts)).toEqual([{ kind: 'pkg-install', node: 7, pkgs: ['bc'], updateLists: false }]);
  });

  it('updates lists older than the configured age', () => {
    const facts = withPackages({ byName: { nodejs: { status: 'ii' } }, listsMtime: (NOW - policies.aptListsMaxAgeMs - 1000) / 1000 });
    expect(plan(facts)[0]).toMatchObject({ kind: 'pkg-install', updateLists: true });
  });

  it('purges a package declared absent, including one with config files left (rc)', () => {
    expect(plan(withPackages({ byName: { ...convergedFacts().packages.byName, telnet: { status: 'ii' } } }))).toEqual([
      { kind: 'pkg-remove', node: 7, pkgs: ['telnet'] },
    ]);
    expect(plan(withPackages({ byName: { ...convergedFacts().packages.byName, telnet: { status: 'rc' } } }))).toEqual([
      { kind: 'pkg-remove', node: 7, pkgs: ['telnet'] },
    ]);
  });

  it('reinstalls a package that is only half there', () => {
    expect(plan(withPackages({ byName: { ...convergedFacts().packages.byName, bc: { status: 'iU' } } }))[0]).toMatchObject({
      kind: 'pkg-install',
      pkgs: ['bc'],
    });
  });

  it('finishes an interrupted dpkg run before anything else', () => {
    expect(plan(withPackages({ audit: 'The following packages are only half configured' }))).toEqual([
      { kind: 'pkg-repair', node: 7, audit: 'The following packages are only half configured' },
    ]);
  });

  it('leaves a package dpkg wants reinstalled to a person', () => {
    expect(plan(withPackages({ reinstRequired: ['bc'], byName: {} }))).toEqual([]);
  });
});

describe('packages controller probe parsing', () => {
  it('reads dpkg-query lines, list age and audit', () => {
    const facts = (<(o: string, n: ReturnType<typeof nodeSpec>) => PackagesFacts>packagesController.observe.parse)(
      'pkg bc ii  1.07.1-3\npkg nodejs un \npkg foo iFR 1.0\nlists 1700000000\naudit half configured\n',
      nodeSpec(),
    );
    expect(facts.byName).toEqual({
      bc: { status: 'ii', version: '1.07.1-3' },
      nodejs: { status: 'un' },
      foo: { status: 'iF', version: '1.0' },
    });
    expect(facts.listsMtime).toBe(1_700_000_000);
    expect(facts.audit).toBe('half configured');
    expect(facts.reinstRequired).toEqual(['foo']);
  });

  it('treats missing lists as never updated', () => {
    expect(
      (<(o: string, n: ReturnType<typeof nodeSpec>) => PackagesFacts>packagesController.observe.parse)('lists \n', nodeSpec()).listsMtime,
    ).toBe(0);
  });

  it('rejects garbage', () => {
    expect(() =>
      (<(o: string, n: ReturnType<typeof nodeSpec>) => PackagesFacts>packagesController.observe.parse)('pkg ???\n', nodeSpec()),
    ).toThrow(/unreadable/);
  });
});

describe('packages controller apply: master.aptProxy', () => {
  const PROXY = 'http://10.0.0.11:3142';
  const OPTION = `-o Acquire::http::Proxy=${PROXY}`;

  /** Runs one action against a Pi that records every command and answers with `answer`. */
  async function commandsOf(action: PackagesActionOf, aptProxy?: string, answer = (_c: string) => ({ exitCode: 0, stderr: '' })) {
    const commands: string[] = [];
    const node = nodeSpec(aptProxy === undefined ? {} : { aptProxy });
    const ctx = {
      node,
      policies,
      target: { node: node.id, host: '10.0.0.77', port: 22 },
      now: () => NOW,
      signal: new AbortController().signal,
      ssh: {
        exec: async (_t: unknown, command: string) => {
          commands.push(command);
          return { stdout: '', durationMs: 1, ...answer(command) };
        },
      },
    };
    const result = await packagesController.apply(action, ctx as never);
    return { commands, result };
  }

  type PackagesActionOf = Parameters<typeof packagesController.apply>[0];
  const actions: PackagesActionOf[] = [
    { kind: 'pkg-install', node: 7, pkgs: ['bc'], updateLists: true },
    { kind: 'pkg-install', node: 7, pkgs: ['bc'], updateLists: false },
    { kind: 'pkg-remove', node: 7, pkgs: ['telnet'] },
    { kind: 'pkg-repair', node: 7, audit: 'half configured' },
  ];

  /** Each apt-get of a command line, up to the next `&&`, `;` or end. */
  const aptCalls = (command: string) => command.match(/apt-get [^;&]*/g) ?? [];

  it.each(actions.map((a) => [`${a.kind}${'updateLists' in a ? ` (updateLists ${a.updateLists})` : ''}`, a] as const))(
    '%s: every apt-get carries the proxy when it is set, and none when it is not',
    async (_name, action) => {
      const withProxy = await commandsOf(action, PROXY);
      expect(withProxy.result.ok).toBe(true);
      const calls = withProxy.commands.flatMap(aptCalls);
      expect(calls.length).toBeGreaterThan(0);
      for (const call of calls) expect(call).toContain(OPTION);
      if ('updateLists' in action && action.updateLists) expect(calls).toHaveLength(2); // update, then install

      const without = await commandsOf(action);
      expect(without.commands.flatMap(aptCalls).length).toBe(calls.length);
      for (const command of without.commands) expect(command).not.toContain('Proxy');
    },
  );

  it('the retry after an unknown package (update, then install again) goes through the proxy too', async () => {
    let first = true;
    const { commands, result } = await commandsOf({ kind: 'pkg-install', node: 7, pkgs: ['bc'], updateLists: false }, PROXY, () => {
      if (!first) return { exitCode: 0, stderr: '' };
      first = false;
      return { exitCode: 100, stderr: 'E: Unable to locate package bc' };
    });
    expect(result.ok).toBe(true);
    expect(commands).toHaveLength(2);
    expect(commands[1]).toMatch(/apt-get .* update && apt-get .* install/);
    for (const call of commands.flatMap(aptCalls)) expect(call).toContain(OPTION);
  });

  it('quotes a proxy value that would be shell syntax (the schema refuses it; the quoting holds on its own)', async () => {
    const { commands } = await commandsOf({ kind: 'pkg-remove', node: 7, pkgs: ['telnet'] }, "http://x'; reboot; '");
    expect(commands[0]).toContain(`-o 'Acquire::http::Proxy=http://x'\\''; reboot; '\\'''`);
  });
});
