import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../src/slave/lines.ts';

function split(max: number, chunks: Array<string | Buffer>, end = false) {
  const lines: string[] = [];
  const oversized: number[] = [];
  const s = new LineSplitter(
    max,
    (l) => lines.push(l),
    (n) => oversized.push(n),
  );
  for (const c of chunks) s.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  if (end) s.end();
  return { lines, oversized };
}

describe('LineSplitter', () => {
  it('cuts lines across and within chunks, skipping blank lines and CRs', () => {
    expect(split(100, ['a\nb', 'c\r\n\n', 'd\n']).lines).toEqual(['a', 'bc', 'd']);
  });

  it('keeps a UTF-8 character split between chunks whole', () => {
    const bytes = Buffer.from('température 47°C\n');
    const at = bytes.indexOf(0xb0); // inside the two-byte °
    expect(split(100, [bytes.subarray(0, at), bytes.subarray(at)]).lines).toEqual(['température 47°C']);
  });

  it('drops a line over the cap whole, reports its size once, and goes on', () => {
    const r = split(10, ['short\n', 'x'.repeat(8), 'y'.repeat(8), 'z'.repeat(8), '\nnext\n']);
    expect(r.lines).toEqual(['short', 'next']);
    expect(r.oversized).toEqual([24]);
  });

  it('takes a last line without newline at the end of the stream', () => {
    expect(split(100, ['a\nlast'], true).lines).toEqual(['a', 'last']);
    expect(split(100, ['a\nlast']).lines).toEqual(['a']);
  });
});
