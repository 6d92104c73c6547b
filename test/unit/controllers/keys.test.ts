import { describe, expect, it } from 'vitest';
import { desiredKeyLines, keyIdentity, keysController } from '../../../controllers/keys.ts';
import { convergedFacts, DAEMON_KEY, nodeSpec, NOW, OPERATOR_KEY, policies, STRANGER_KEY } from '../../support/fixtures.ts';

const plan = (spec = nodeSpec(), facts = convergedFacts()) => keysController.plan(spec, facts, [], NOW, policies);

describe('keys controller plan', () => {
  it('plans nothing when every declared key is there with the right modes', () => {
    expect(plan()).toEqual([]);
  });

  it('writes the file when it does not exist', () => {
    const actions = plan(nodeSpec(), convergedFacts({ authorizedKeys: { exists: false, lines: [] } }));
    expect(actions).toEqual([{ kind: 'keys-write', node: 7, user: 'root', keys: [DAEMON_KEY, OPERATOR_KEY], added: 2, removed: 0 }]);
  });

  it('adds a missing declared key and keeps undeclared ones when not exclusive', () => {
    const facts = convergedFacts({
      authorizedKeys: { exists: true, lines: [STRANGER_KEY, DAEMON_KEY], dirMode: '700', fileMode: '600', owner: 'root' },
    });
    const [action] = plan(nodeSpec(), facts);
    expect(action?.keys).toEqual([DAEMON_KEY, OPERATOR_KEY, STRANGER_KEY]);
    expect(action).toMatchObject({ added: 1, removed: 0 });
  });

  it('removes undeclared keys when exclusive, but never the daemon key', () => {
    const spec = nodeSpec({ authorizedKeys: { user: 'root', keys: [DAEMON_KEY], exclusive: true } });
    const facts = convergedFacts({
      authorizedKeys: { exists: true, lines: [DAEMON_KEY, STRANGER_KEY], dirMode: '700', fileMode: '600', owner: 'root' },
    });
    const [action] = plan(spec, facts);
    expect(action?.keys).toEqual([DAEMON_KEY]);
    expect(action).toMatchObject({ removed: 1 });
  });

  it('fixes modes and owner even when the keys are right', () => {
    const facts = convergedFacts({
      authorizedKeys: { exists: true, lines: [DAEMON_KEY, OPERATOR_KEY], dirMode: '755', fileMode: '644', owner: 'root' },
    });
    expect(plan(nodeSpec(), facts)).toHaveLength(1);
  });

  it('treats a key with another comment or options as the same key', () => {
    const withOptions = `from="10.0.0.1" ${DAEMON_KEY.replace('pirack-daemon', 'other comment')}`;
    expect(keyIdentity(withOptions)).toBe(keyIdentity(DAEMON_KEY));
    expect(desiredKeyLines({ user: 'root', keys: [DAEMON_KEY], exclusive: false }, [withOptions])).toEqual([DAEMON_KEY]);
  });
});

describe('keys controller probe parsing', () => {
  it('reads keys, modes and owner', () => {
    const facts = keysController.observe.parse(`dir 700 root\nfile 600 root\nkey ${DAEMON_KEY}\nkey # comment\n`, nodeSpec());
    expect(facts).toEqual({ exists: true, lines: [DAEMON_KEY], dirMode: '700', fileMode: '600', owner: 'root' });
  });

  it('rejects garbage instead of guessing', () => {
    expect(() => keysController.observe.parse('Segmentation fault\n', nodeSpec())).toThrow(/unexpected line/);
  });
});
