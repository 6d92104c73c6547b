import { describe, expect, it } from 'vitest';
import { filesController, sameMode } from '../../../controllers/files.ts';
import { convergedFacts, nodeSpec, NOW, policies, sha, SLAVE_JS, SLAVE_UNIT } from '../../support/fixtures.ts';

const plan = (facts = convergedFacts()) => filesController.plan(nodeSpec(), facts, [], NOW, policies);
const withFile = (path: string, file: ReturnType<typeof convergedFacts>['files'][string]) =>
  convergedFacts({ files: { ...convergedFacts().files, [path]: file } });

describe('files controller plan', () => {
  it('plans nothing when content, owner and mode match', () => {
    expect(plan()).toEqual([]);
  });

  it('writes a missing file', () => {
    expect(plan(withFile(SLAVE_JS.path, { exists: false }))).toEqual([
      { kind: 'file-write', node: 7, path: SLAVE_JS.path, sha256: SLAVE_JS.sha256, reason: 'missing' },
    ]);
  });

  it('rewrites a file edited by hand', () => {
    const edited = withFile(SLAVE_UNIT.path, { exists: true, sha256: sha('edited'), mode: '644', owner: 'root', group: 'root' });
    expect(plan(edited)).toEqual([{ kind: 'file-write', node: 7, path: SLAVE_UNIT.path, sha256: SLAVE_UNIT.sha256, reason: 'content' }]);
  });

  it('fixes owner or mode in place when the content is right', () => {
    const chmodded = withFile(SLAVE_JS.path, { exists: true, sha256: SLAVE_JS.sha256, mode: '777', owner: 'pi', group: 'root' });
    expect(plan(chmodded)).toEqual([{ kind: 'file-attrs', node: 7, path: SLAVE_JS.path, owner: 'root', group: 'root', mode: '0644' }]);
  });

  it('compares modes numerically', () => {
    expect(sameMode('644', '0644')).toBe(true);
    expect(sameMode('755', '0644')).toBe(false);
    expect(sameMode(undefined, '0644')).toBe(false);
  });
});

describe('files controller probe parsing', () => {
  it('reads present and missing files, paths with spaces included', () => {
    const out = `file 644 root root ${SLAVE_JS.sha256} /srv/my file.txt\nmissing /etc/x\n`;
    expect(filesController.observe.parse(out, nodeSpec())).toEqual({
      '/srv/my file.txt': { exists: true, mode: '644', owner: 'root', group: 'root', sha256: SLAVE_JS.sha256 },
      '/etc/x': { exists: false },
    });
  });

  it('rejects a line it cannot read', () => {
    expect(() => filesController.observe.parse('file 644 root\n', nodeSpec())).toThrow(/unreadable/);
  });
});
