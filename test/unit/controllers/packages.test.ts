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
