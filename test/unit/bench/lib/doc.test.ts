import { describe, expect, it } from 'vitest';
import { BEGIN, END, latestSection, replaceLatest } from '../../../../bench/lib/doc.ts';
import type { BenchResults } from '../../../../bench/lib/results.ts';
import { summarize } from '../../../../bench/lib/stats.ts';

const results: BenchResults = {
  machine: {
    cpuModel: 'Test CPU',
    cores: 2,
    memoryMB: 24_576,
    kernel: '6.1.0',
    os: 'Debian 12',
    node: 'v20.1.0',
    ansible: 'ansible-playbook [core 2.14.18]',
    cdist: 'cdist 7.0.0',
    openssh: 'OpenSSH_9.2p1',
    date: '2025-01-01T00:00:00Z',
  },
  startedAt: '2025-01-01T00:00:00.000Z',
  finishedAt: '2025-01-01T00:30:00.000Z',
  options: { pis: 48, runs: 3, only: ['scale'] },
  lab: { reused: false, stacks: 4, perStack: 12 },
  scenarios: [
    {
      id: 'scale',
      title: '5. Scale',
      status: 'ok',
      pis: 5000,
      rows: [{ label: 'pass', summary: summarize([20], 'ms') }],
      notes: ['synthetic'],
      durationMs: 1,
    },
  ],
};

describe('latest section', () => {
  it('holds the table, the machine and the notes', () => {
    const text = latestSection(results);
    expect(text).toContain('`pirack bench` (`--pis 48 --runs 3`');
    expect(text).toContain('4 × 12 Pis');
    expect(text).toContain('| 5. Scale | pass | 20 ms |');
    expect(text).toContain('Test CPU, 2 cores; 24 GB RAM; Debian 12');
    expect(text).toContain('ansible-playbook [core 2.14.18]; cdist 7.0.0; OpenSSH_9.2p1');
    expect(text).toContain('- Scale: synthetic');
  });

  it('replaces only what lies between the markers', () => {
    const doc = `# Title\nintro\n${BEGIN}\nold table\n${END}\nafter\n`;
    expect(replaceLatest(doc, 'new')).toBe(`# Title\nintro\n${BEGIN}\nnew\n${END}\nafter\n`);
    expect(() => replaceLatest('# no markers', 'x')).toThrow(/no <!-- bench/);
  });
});
