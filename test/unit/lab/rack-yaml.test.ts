import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkSchema } from '../../../src/config/schema.ts';
import { gridFor, labRackObject, labRackYaml, SLAVE_UNIT } from '../../../src/lab/rack-yaml.ts';

describe('lab rack.yaml', () => {
  it('is valid against the rack schema', () => {
    const doc = parse(labRackYaml({ dir: '/var/lib/pirack-lab', stacks: 3, perStack: 2, blankInventory: false }));
    expect(checkSchema(doc)).toEqual([]);
  });

  it('describes every Pi with its fixed IP and MAC, stacks on a grid', () => {
    const doc = labRackObject({ dir: '/lab', stacks: 3, perStack: 2, blankInventory: false, poweredStacks: [1, 3] }) as any;
    expect(doc.relay.driver).toBe('lab');
    expect(doc.network).toMatchObject({ subnet: '10.213.0.0/24', master: '10.213.0.1', gateway: '10.213.0.1' });
    expect(doc.network.dhcp.hostsFile).toBe('/lab/dhcp-hosts');
    expect(doc.ssh.keyFile).toBe('/lab/master_key');
    expect(doc.ssh.bootstrap.passwordFile).toBe('/lab/bootstrap-password');
    expect(doc.stacks.map((s: any) => [s.id, s.x, s.y, s.power])).toEqual([
      [1, 1, 1, 'on'],
      [2, 1, 2, 'off'],
      [3, 2, 1, 'on'],
    ]);
    expect(doc.stacks[1].pis).toEqual([
      { id: 3, ip: '10.213.0.13', mac: 'b8:27:eb:00:00:03' },
      { id: 4, ip: '10.213.0.14', mac: 'b8:27:eb:00:00:04' },
    ]);
    expect(doc.defaults.packages).toEqual([{ name: 'bc' }, { name: 'nodejs' }]);
    expect(doc.defaults.files[0]).toMatchObject({ path: '/usr/local/lib/pirack/pirack-slave.js', source: 'builtin:pirack-slave' });
    expect(doc.defaults.files[1].content).toBe(SLAVE_UNIT);
    expect(SLAVE_UNIT).toContain('ExecStart=/usr/bin/node /usr/local/lib/pirack/pirack-slave.js');
  });

  it('logs in as the sudo user pi by default, as root with rootLogin; bootstrap and keys follow the login user', () => {
    const stock = labRackObject({ dir: '/lab', stacks: 1, perStack: 1, blankInventory: false }) as any;
    expect(stock.ssh.user).toBe('pi');
    expect(stock.ssh.bootstrap).toEqual({ user: 'pi', passwordFile: '/lab/bootstrap-password' });
    expect(stock.defaults.authorizedKeys.user).toBe('pi');
    const root = labRackObject({ dir: '/lab', stacks: 1, perStack: 1, blankInventory: false, rootLogin: true }) as any;
    expect(root.ssh.user).toBe('root');
    expect(root.ssh.bootstrap.user).toBe('root');
    expect(root.defaults.authorizedKeys.user).toBe('root');
    expect(checkSchema(parse(labRackYaml({ dir: '/lab', stacks: 1, perStack: 1, blankInventory: false, rootLogin: true })))).toEqual([]);
  });

  it('leaves MACs out with a blank inventory', () => {
    const doc = labRackObject({ dir: '/lab', stacks: 1, perStack: 2, blankInventory: true }) as any;
    expect(doc.stacks[0].pis).toEqual([
      { id: 1, ip: '10.213.0.11' },
      { id: 2, ip: '10.213.0.12' },
    ]);
  });

  it('lays stacks out near-square', () => {
    expect(gridFor(1)).toEqual({ rows: 1, cols: 1 });
    expect(gridFor(4)).toEqual({ rows: 2, cols: 2 });
    expect(gridFor(24)).toEqual({ rows: 5, cols: 5 });
    expect(gridFor(3)).toEqual({ rows: 2, cols: 2 });
  });
});
