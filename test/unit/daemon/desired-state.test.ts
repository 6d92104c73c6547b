/** The last-good rule: a revision with any problem is never applied, and the last good one is kept in the state dir. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { baseRack, FAKE_KEY } from '../config/fixtures.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { judgeRevision, loadLastGood, saveLastGood } from '../../../src/daemon/desired-state.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'pirack-desired-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A valid rack.yaml in a fresh dir, with the daemon key it names. */
function validRack(): { path: string; text: string } {
  const dir = tmp();
  writeFileSync(join(dir, 'id_ed25519.pub'), `${FAKE_KEY}\n`);
  const text = stringify({ ...baseRack(), ssh: { keyFile: join(dir, 'id_ed25519') } });
  return { path: join(dir, 'rack.yaml'), text };
}

describe('judgeRevision', () => {
  it('accepts the committed rack.yaml as a frozen RackSpec at that revision', () => {
    const { path, text } = validRack();
    const verdict = judgeRevision({ revision: 'abc123', text, path });
    expect(verdict.ok, verdict.ok ? '' : verdict.errors.join('\n')).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.rack.revision).toBe('abc123');
    expect(Object.isFrozen(verdict.rack)).toBe(true);
  });

  it('rejects a broken revision with every problem at file:line:column, applying nothing', () => {
    const path = join(tmp(), 'rack.yaml');
    const verdict = judgeRevision({ revision: 'bad', text: 'apiVersion: pirack/v1\nname: [unclosed\n', path });
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.errors[0]).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+`));
  });
});

describe('the last good revision in the state dir', () => {
  it('round-trips, so a restart resumes from it even when the branch head is broken', async () => {
    const dir = tmp();
    expect(await loadLastGood(dir)).toBeUndefined();
    await saveLastGood(dir, { revision: 'r1', text: 'name: x\n', path: '/etc/pirack/rack.yaml' });
    // The saved revision comes back with the folders its source: files were confined to.
    expect(await loadLastGood(dir)).toMatchObject({
      revision: 'r1',
      text: 'name: x\n',
      path: '/etc/pirack/rack.yaml',
      sourceRoots: ['/etc/pirack'],
    });
  });

  it('an unreadable file is no last good revision, never a crash', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'last-good-rack.json'), '{not json');
    expect(await loadLastGood(dir)).toBeUndefined();
  });
});
