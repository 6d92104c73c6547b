import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runImport } from '../../../src/import/run.ts';
import { parseRack } from '../../../src/config/load.ts';
import { importCommand, parsePins, printImportReport } from '../../../src/cli/commands/import.ts';

const EX = (name: string) => fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url));
const fakeLoadDeps = {
  sourcePath: 'rack.yaml',
  baseDir: '/x',
  resolveBuiltin: () => '',
  readPublicKey: () => undefined,
  requireKey: false,
};

describe('runImport', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pirack-import-'));
    for (const f of ['structure_rack.ini', 'dict_rasps.csv', 'configuration.ini', 'structure_rack_4x12.ini'])
      copyFileSync(EX(f), join(dir, f));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const at = (f: string) => join(dir, f);

  it('fails on the shipped sample without --trust-sections and writes nothing', async () => {
    const r = await runImport({ structure: at('structure_rack.ini'), out: at('rack.yaml') });
    expect(r.ok).toBe(false);
    expect(r.problems[0]?.message).toBe('[rack] nbr_stack = 1 but 2 stack sections ([1], [2]) are listed');
    expect(existsSync(at('rack.yaml'))).toBe(false);
  });

  it('writes a rack.yaml that validates, with MACs from the inventory and the actions', async () => {
    const r = await runImport({
      structure: at('structure_rack.ini'),
      inventory: at('dict_rasps.csv'),
      actions: at('configuration.ini'),
      out: at('rack.yaml'),
      trustSections: true,
    });
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, stacks: 2, pis: 4 });
    const text = readFileSync(at('rack.yaml'), 'utf8');
    expect(text).toBe(r.text);
    const parsed = parseRack(text, fakeLoadDeps);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.rack.nodes.map((n) => [n.id, n.stack, n.ip, n.mac])).toEqual([
      [1, 1, '192.168.23.70', 'b8:27:eb:12:34:56'],
      [2, 1, '192.168.23.71', 'b8:27:eb:12:34:57'],
      [3, 2, '192.168.23.72', 'b8:27:eb:9a:bc:01'],
      [4, 2, '192.168.23.73', 'b8:27:eb:9a:bc:02'],
    ]);
    expect(parsed.rack.stacks.map((s) => s.relayPin)).toEqual([18, 25]);
    expect(parsed.rack.actions.map((a) => a.name)).toEqual(['cpu', 'temperature', 'ping']);
  });

  it('refuses to overwrite without --force, replaces with it', async () => {
    writeFileSync(at('rack.yaml'), 'keep me\n');
    const opts = { structure: at('structure_rack_4x12.ini'), out: at('rack.yaml') };
    const refused = await runImport(opts);
    expect(refused.ok).toBe(false);
    expect(refused.problems[0]?.message).toBe('already exists; nothing was written');
    expect(readFileSync(at('rack.yaml'), 'utf8')).toBe('keep me\n');
    const forced = await runImport({ ...opts, force: true });
    expect(forced.ok).toBe(true);
    expect(readFileSync(at('rack.yaml'), 'utf8')).toContain('apiVersion: pirack/v1');
  });

  it('numbers Pis and hands out IPs from .70 like the original; the 4×12 rack matches the committed rack.yaml', async () => {
    const r = await runImport({ structure: at('structure_rack_4x12.ini'), out: '-' });
    const imported = parseRack(r.text!, fakeLoadDeps);
    const committed = parseRack(readFileSync(fileURLToPath(new URL('../../../rack.yaml', import.meta.url)), 'utf8'), fakeLoadDeps);
    if (!imported.ok || !committed.ok) throw new Error('both must validate');
    expect(imported.rack.nodes).toEqual(committed.rack.nodes);
    expect(imported.rack.stacks.map((s) => s.relayPin)).toEqual([18, 25, 12, 21]);
    expect(imported.rack.actions).toEqual(committed.rack.actions);
  });

  it('reports inventory lines naming unknown stacks and duplicate MACs', async () => {
    writeFileSync(
      at('d.csv'),
      '1,b8:27:eb:00:00:01,1,192.168.23.70\n2,b8:27:eb:00:00:01,1,192.168.23.71\n3,b8:27:eb:00:00:03,7,192.168.23.72\n',
    );
    const r = await runImport({ structure: at('structure_rack_4x12.ini'), inventory: at('d.csv'), out: at('rack.yaml') });
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => `${p.line}: ${p.message}`)).toEqual(['2: MAC b8:27:eb:00:00:01 of Pi 2 is also the MAC of Pi 1 (line 1)']);
    writeFileSync(at('d.csv'), '1,b8:27:eb:00:00:01,1,192.168.23.70\n3,b8:27:eb:00:00:03,7,192.168.23.72\n');
    const r2 = await runImport({ structure: at('structure_rack_4x12.ini'), inventory: at('d.csv'), out: at('rack.yaml') });
    expect(r2.problems.map((p) => `${p.file.endsWith('d.csv')}:${p.line}: ${p.message}`)).toEqual([
      'true:2: Pi 3 is in stack 7, which ' + at('structure_rack_4x12.ini') + ' does not list (stacks: 1, 2, 3, 4)',
    ]);
  });

  it('traces a validation problem of the output back to the inventory line', async () => {
    writeFileSync(at('d.csv'), '1,b8:27:eb:00:00:01,1,10.1.2.3\n');
    const r = await runImport({ structure: at('structure_rack_4x12.ini'), inventory: at('d.csv'), out: at('rack.yaml') });
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      expect.objectContaining({
        file: at('d.csv'),
        line: 1,
        message: 'Pi 1: stacks[0].pis[0].ip "10.1.2.3" is outside network.subnet 192.168.23.0/24',
      }),
    ]);
    expect(existsSync(at('rack.yaml'))).toBe(false);
  });

  it('stacks beyond the original four need --pins or --relay manual', async () => {
    writeFileSync(
      at('s.ini'),
      '[rack]\npi_stack = 1\nnbr_stack = 5\nrows = 1\ncols = 5\n' +
        [1, 2, 3, 4, 5].map((i) => `[${i}]\nid = ${i}\nx = 1\ny = ${i}\n`).join(''),
    );
    const r = await runImport({ structure: at('s.ini'), out: '-' });
    expect(r.problems.map((p) => p.message)).toEqual([
      'stack 5 has no relay pin: the original wired only stacks 1–4 (BCM GPIO 18, 25, 12, 21)',
    ]);
    expect(r.problems[0]?.hint).toContain('--pins 5=<line>');
    const pinned = await runImport({ structure: at('s.ini'), out: '-', pins: { 5: 16 } });
    expect(pinned.ok).toBe(true);
    const manual = await runImport({ structure: at('s.ini'), out: '-', relay: 'manual' });
    const rack = parseRack(manual.text!, fakeLoadDeps);
    expect(rack.ok && rack.rack.relay.driver).toBe('manual');
    expect(rack.ok && rack.rack.stacks.every((s) => s.relayPin === undefined)).toBe(true);
  });

  it('reports unreadable inputs', async () => {
    const r = await runImport({ structure: at('nope.ini'), out: '-' });
    expect(r.problems).toEqual([expect.objectContaining({ file: at('nope.ini'), message: 'cannot read it (ENOENT)' })]);
  });
});

describe('pirack import command', () => {
  it('parses --pins', () => {
    expect(parsePins('5=16, 6:20')).toEqual({ 5: 16, 6: 20 });
    expect(() => parsePins('5')).toThrow(/expected <stack>=<BCM line>/);
  });

  it('prints problems to stderr and exits 1; prints YAML to stdout with --out -', () => {
    let out = '';
    let err = '';
    const failed = printImportReport(
      { ok: false, problems: [{ file: 's.ini', line: 4, message: 'bad', hint: 'fix' }], warnings: [] },
      { out: 'rack.yaml' },
      (t) => (out += t),
      (t) => (err += t),
    );
    expect(failed).toBe(1);
    expect(err).toBe('s.ini:4: bad\n    fix\npirack import: 1 problem; nothing was written.\n');
    expect(out).toBe('');
    const ok = printImportReport(
      { ok: true, problems: [], warnings: [], text: 'apiVersion: pirack/v1\n', stacks: 1, pis: 1 },
      { out: '-' },
      (t) => (out += t),
      (t) => (err += t),
    );
    expect(ok).toBe(0);
    expect(out).toBe('apiVersion: pirack/v1\n');
  });

  it('declares its flags', () => {
    expect(importCommand().options.map((o) => o.long)).toEqual([
      '--inventory',
      '--actions',
      '--out',
      '--force',
      '--trust-sections',
      '--relay',
      '--pins',
      '--name',
    ]);
  });
});
