import { describe, expect, it } from 'vitest';
import {
  absoluteFilePaths,
  checkSemantics,
  duplicateIps,
  duplicateListEntries,
  duplicateMacs,
  duplicatePiIds,
  duplicateRelayPins,
  duplicateStackIds,
  gridPlacement,
  networkAddresses,
  piAddresses,
  relayPinRequired,
  restartTargetsManaged,
} from '../../../src/config/semantic.ts';
import { baseRack } from './fixtures.ts';
import type { RawRack } from '../../../src/config/raw.ts';

function pi(rack: RawRack, s: number, p: number) {
  return rack.stacks[s]!.pis[p]!;
}

describe('semantic rules', () => {
  it('accept the base rack', () => {
    expect(checkSemantics(baseRack())).toEqual([]);
  });

  it('duplicate stack ids point at the second one', () => {
    const r = baseRack();
    r.stacks[1]!.id = 1;
    expect(duplicateStackIds(r)).toEqual([
      expect.objectContaining({ segments: ['stacks', 1, 'id'], message: 'stacks[1].id 1 is already the id of stacks[0]' }),
    ]);
  });

  it('duplicate Pi ids across stacks', () => {
    const r = baseRack();
    pi(r, 1, 0).id = 1;
    const [p] = duplicatePiIds(r);
    expect(p?.segments).toEqual(['stacks', 1, 'pis', 0, 'id']);
    expect(p?.message).toContain('stacks[0].pis[0]');
  });

  it('duplicate IPs', () => {
    const r = baseRack();
    pi(r, 1, 0).ip = '10.0.0.70';
    expect(duplicateIps(r).map((p) => p.segments)).toEqual([['stacks', 1, 'pis', 0, 'ip']]);
  });

  it('duplicate MACs compare case-insensitively', () => {
    const r = baseRack();
    pi(r, 1, 0).mac = 'B8:27:EB:00:00:02';
    const [p] = duplicateMacs(r);
    expect(p?.segments).toEqual(['stacks', 1, 'pis', 0, 'mac']);
    expect(p?.message).toContain('already the MAC of Pi 2');
  });

  it('duplicate relay pins', () => {
    const r = baseRack();
    r.stacks[1]!.relayPin = 18;
    expect(duplicateRelayPins(r)).toEqual([
      expect.objectContaining({ segments: ['stacks', 1, 'relayPin'], message: 'stacks[1].relayPin 18 already switches stack 1' }),
    ]);
  });

  it('Pi IPs outside the subnet, equal to master or gateway, inside the dynamic range', () => {
    const r = baseRack();
    pi(r, 0, 0).ip = '10.0.1.5';
    pi(r, 0, 1).ip = '10.0.0.11';
    pi(r, 1, 0).ip = '10.0.0.210';
    r.stacks[1]!.pis.push({ id: 4, ip: '10.0.0.1' }, { id: 5, ip: '10.0.0.255' });
    const messages = piAddresses(r).map((p) => p.message);
    expect(messages).toEqual([
      'stacks[0].pis[0].ip "10.0.1.5" is outside network.subnet 10.0.0.0/24',
      'stacks[0].pis[1].ip "10.0.0.11" is the master\'s address',
      'stacks[1].pis[0].ip "10.0.0.210" is inside the dynamic DHCP range 10.0.0.200–10.0.0.250',
      'stacks[1].pis[1].ip "10.0.0.1" is the gateway\'s address',
      'stacks[1].pis[2].ip "10.0.0.255" is the broadcast address of 10.0.0.0/24',
    ]);
  });

  it('master, gateway and DHCP range must lie in the subnet; subnet without host bits', () => {
    const r = baseRack();
    r.network.master = '10.0.9.11';
    r.network.gateway = '192.168.1.1';
    r.network.subnet = '10.0.0.5/24';
    r.network.dhcp.dynamicRange = ['10.0.0.250', '10.0.1.10'];
    const problems = networkAddresses(r);
    expect(problems.map((p) => p.segments)).toEqual([
      ['network', 'subnet'],
      ['network', 'master'],
      ['network', 'gateway'],
      ['network', 'dhcp', 'dynamicRange', 1],
    ]);
    expect(problems[0]?.hint).toContain('10.0.0.0/24');
  });

  it('a reversed DHCP range', () => {
    const r = baseRack();
    r.network.dhcp.dynamicRange = ['10.0.0.250', '10.0.0.200'];
    expect(networkAddresses(r).map((p) => p.message)).toEqual(['network.dhcp.dynamicRange starts after it ends (10.0.0.250 > 10.0.0.200)']);
  });

  it('two stacks on one grid cell, and x/y outside the grid', () => {
    const r = baseRack();
    r.stacks[1]!.y = 1;
    r.stacks.push({ id: 3, x: 2, y: 3, relayPin: 12, pis: [] });
    const problems = gridPlacement(r);
    expect(problems.map((p) => p.segments)).toEqual([
      ['stacks', 2, 'x'],
      ['stacks', 2, 'y'],
      ['stacks', 1],
    ]);
    expect(problems[2]?.message).toBe('stacks[1] (stack 2) stands on grid cell x=1, y=1, already taken by stack 1');
  });

  it('relayPin is required by onoff and gpiod, not by manual or lab', () => {
    const r = baseRack();
    delete r.stacks[0]!.relayPin;
    expect(relayPinRequired(r).map((p) => p.segments)).toEqual([['stacks', 0]]);
    r.relay.driver = 'gpiod';
    expect(relayPinRequired(r)).toHaveLength(1);
    r.relay.driver = 'manual';
    expect(relayPinRequired(r)).toEqual([]);
    r.relay.driver = 'lab';
    expect(relayPinRequired(r)).toEqual([]);
  });

  it('restartOnChangeOf must name a managed file, in defaults and in overrides', () => {
    const r = baseRack();
    r.defaults!.services![0]!.restartOnChangeOf = ['/etc/motd', '/etc/other'];
    expect(restartTargetsManaged(r).map((p) => p.segments)).toEqual([['defaults', 'services', 0, 'restartOnChangeOf', 1]]);

    const r2 = baseRack();
    pi(r2, 0, 0).overrides = { files: [] };
    const [p] = restartTargetsManaged(r2);
    expect(p?.segments).toEqual(['stacks', 0, 'pis', 0, 'overrides', 'files']);
    expect(p?.message).toContain('Pi 1:');

    const r3 = baseRack();
    pi(r3, 0, 0).overrides = { services: [{ name: 'y.service', restartOnChangeOf: ['/etc/nope'] }] };
    expect(restartTargetsManaged(r3).map((q) => q.segments)).toEqual([
      ['stacks', 0, 'pis', 0, 'overrides', 'services', 0, 'restartOnChangeOf', 0],
    ]);
  });

  it('file paths must be absolute', () => {
    const r = baseRack();
    r.defaults!.files!.push({ path: 'etc/rel', content: '' });
    expect(absoluteFilePaths(r)).toEqual([
      expect.objectContaining({ segments: ['defaults', 'files', 1, 'path'], hint: expect.stringContaining('/etc/rel') }),
    ]);
  });

  it('duplicate package names, file paths and unit names within one list', () => {
    const r = baseRack();
    r.defaults!.packages!.push({ name: 'bc', state: 'absent' });
    r.defaults!.files!.push({ path: '/etc/motd', content: 'x' });
    pi(r, 0, 0).overrides = { services: [{ name: 'a.service' }, { name: 'a.service' }] };
    expect(duplicateListEntries(r).map((p) => p.segments)).toEqual([
      ['defaults', 'packages', 1, 'name'],
      ['defaults', 'files', 1, 'path'],
      ['stacks', 0, 'pis', 0, 'overrides', 'services', 1, 'name'],
    ]);
  });

  it('rules skip what the schema already rejected instead of throwing', () => {
    const broken = { stacks: [null, { id: 'x', pis: 'nope' }], network: { subnet: 42 } } as unknown as RawRack;
    expect(() => checkSemantics(broken)).not.toThrow();
  });
});
