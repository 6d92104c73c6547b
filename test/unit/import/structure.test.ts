import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseStructure } from '../../../src/import/structure.ts';

const SAMPLE = readFileSync(new URL('../../../examples/structure_rack.ini', import.meta.url), 'utf8');

describe('parseStructure', () => {
  it("reports the shipped sample's contradiction at the nbr_stack line and builds nothing", () => {
    const r = parseStructure(SAMPLE, 'structure_rack.ini');
    expect(r.structure).toBeUndefined();
    expect(r.problems).toEqual([
      expect.objectContaining({
        file: 'structure_rack.ini',
        line: 4,
        message: '[rack] nbr_stack = 1 but 2 stack sections ([1], [2]) are listed',
        hint: expect.stringContaining('--trust-sections'),
      }),
    ]);
  });

  it('follows the sections with a warning under --trust-sections', () => {
    const r = parseStructure(SAMPLE, 'structure_rack.ini', { trustSections: true });
    expect(r.problems).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual(['[rack] nbr_stack = 1 but 2 stack sections ([1], [2]) are listed']);
    expect(r.structure).toEqual({
      piStack: 2,
      rows: 1,
      cols: 2,
      stacks: [
        { section: '1', id: 1, x: 1, y: 1 },
        { section: '2', id: 2, x: 1, y: 2 },
      ],
    });
  });

  it('reports missing and malformed values, grid overflow, shared cells and duplicate ids', () => {
    const text =
      '[rack]\npi_stack = two\nnbr_stack = 3\nrows = 1\ncols = 1\n[1]\nid = 1\nx = 1\ny = 1\n[2]\nid = 1\nx = 1\ny = 1\n[3]\nid = 3\nx = 2\n';
    const messages = parseStructure(text, 's.ini').problems.map((p) => `${p.line}: ${p.message}`);
    expect(messages).toEqual([
      '2: [rack] pi_stack = two is not a whole number ≥ 1',
      '14: [3] has no y',
      '10: [2] id = 1 is also the id of [1]',
      '10: [2] stands on x = 1, y = 1, like stack 1',
    ]);
  });

  it('reports a stack outside the grid', () => {
    const text = '[rack]\npi_stack = 1\nnbr_stack = 1\nrows = 1\ncols = 1\n[1]\nid = 1\nx = 2\ny = 3\n';
    expect(parseStructure(text, 's.ini').problems.map((p) => p.message)).toEqual([
      '[1] x = 2 is outside the grid (rows = 1)',
      '[1] y = 3 is outside the grid (cols = 1)',
    ]);
  });

  it('needs a [rack] section', () => {
    expect(parseStructure('[1]\nid = 1\n', 's.ini').problems[0]?.message).toBe('there is no [rack] section');
  });
});
