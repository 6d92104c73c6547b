import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cycleHistoryPath, loadCycleHistory, saveCycleHistory } from '../../../src/daemon/cycle-history.ts';

const dirs: string[] = [];
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pirack-cycles-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const NOW = 1_800_000_000_000;

describe('power-cycle history in the state dir', () => {
  it('keeps the cycles of the last hour across a save and a load', async () => {
    const dir = stateDir();
    const recent = { stack: 2, at: NOW - 60_000, reason: 'all 2 Pis unreachable' };
    const old = { stack: 1, at: NOW - 3_700_000, reason: 'long ago' };
    await saveCycleHistory(dir, [old, recent]);
    expect(await loadCycleHistory(dir, NOW)).toEqual([recent]);
  });

  it('starts empty without a file, and ignores a corrupt one or bad entries', async () => {
    const dir = stateDir();
    expect(await loadCycleHistory(dir, NOW)).toEqual([]);
    writeFileSync(cycleHistoryPath(dir), '{ not json');
    expect(await loadCycleHistory(dir, NOW)).toEqual([]);
    writeFileSync(
      cycleHistoryPath(dir),
      JSON.stringify({
        cycles: [
          { stack: '2', at: NOW, reason: 'x' },
          { stack: 3, at: NOW - 1, reason: 'ok' },
        ],
      }),
    );
    expect(await loadCycleHistory(dir, NOW)).toEqual([{ stack: 3, at: NOW - 1, reason: 'ok' }]);
  });
});
