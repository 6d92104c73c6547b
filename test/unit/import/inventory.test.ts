import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../../src/import/inventory.ts';

describe('parseInventory', () => {
  it('reads id,mac,stack,ip lines with their line numbers, lower-casing MACs', () => {
    const r = parseInventory('1,B8:27:EB:12:34:56,1,192.168.23.70\n\n2,b8:27:eb:12:34:57,2,192.168.23.71\n', 'd.csv');
    expect(r.problems).toEqual([]);
    expect(r.pis).toEqual([
      { id: 1, mac: 'b8:27:eb:12:34:56', stack: 1, ip: '192.168.23.70', line: 1 },
      { id: 2, mac: 'b8:27:eb:12:34:57', stack: 2, ip: '192.168.23.71', line: 3 },
    ]);
  });

  it('reports duplicate MACs (any case), ids and IPs at the later line', () => {
    const r = parseInventory(
      '1,b8:27:eb:00:00:01,1,192.168.23.70\n2,B8:27:EB:00:00:01,1,192.168.23.70\n2,b8:27:eb:00:00:03,1,192.168.23.72\n',
      'd.csv',
    );
    expect(r.problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      '2: MAC b8:27:eb:00:00:01 of Pi 2 is also the MAC of Pi 1 (line 1)',
      '2: IP 192.168.23.70 of Pi 2 is also the IP of Pi 1 (line 1)',
      '3: Pi id 2 is listed again (first on line 2)',
    ]);
  });

  it('reports malformed fields and wrong field counts', () => {
    const r = parseInventory('x,zz,0,1.2.3.999\n1,b8:27:eb:00:00:01,1\n', 'd.csv');
    expect(r.problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      '1: id "x" is not a whole number ≥ 1; mac "zz" is not a MAC address like b8:27:eb:12:34:56; stack "0" is not a stack id; ip "1.2.3.999" is not an IPv4 address',
      '2: expected 4 fields (id,mac,stack,ip), found 3: 1,b8:27:eb:00:00:01,1',
    ]);
  });
});
