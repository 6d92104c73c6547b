import { describe, expect, it } from 'vitest';
import { hostnameController, parseHostnameFacts } from '../../../controllers/hostname.ts';
import { registry } from '../../../controllers/index.ts';
import type { NodeSpec, PoliciesSpec } from '../../../src/model/desired.ts';
import type { NodeFacts } from '../../../src/model/observed.ts';
import { isPiRackError } from '../../../src/errors.ts';

const node = (hostname?: string) => ({ id: 4, stack: 1, ip: '10.0.0.73', ...(hostname ? { hostname } : {}) }) as unknown as NodeSpec;
const facts = (h: NodeFacts['hostname']) => ({ hostname: h }) as unknown as NodeFacts;
const policies = {} as PoliciesSpec;

describe('hostname controller', () => {
  it('is registered as a Pi controller owning HostnameInSync', () => {
    expect(registry.node.map((c) => c.name)).toContain('hostname');
    expect(hostnameController.condition.type).toBe('HostnameInSync');
  });

  it('reads the live name, /etc/hostname and the 127.0.1.1 line', () => {
    expect(parseHostnameFacts('live raspberrypi\nfile raspberrypi\nhosts 127.0.1.1\traspberrypi rpi\n', 'pi 4')).toEqual({
      live: 'raspberrypi',
      file: 'raspberrypi',
      hosts: ['raspberrypi', 'rpi'],
    });
    expect(parseHostnameFacts('live x\n', 'pi 4')).toEqual({ live: 'x', file: '', hosts: [] });
    try {
      parseHostnameFacts('live x\nrm -rf\n', 'pi 4');
      throw new Error('expected garbage');
    } catch (err) {
      expect(isPiRackError(err) && err.code).toBe('PIRACK_ERR_PROBE_GARBAGE');
    }
  });

  it('plans a change when any of the three differs, and nothing without a declared hostname', () => {
    const right = { live: 'pi-04', file: 'pi-04', hosts: ['pi-04'] };
    expect(hostnameController.plan(node('pi-04'), facts(right), [], 0, policies)).toEqual([]);
    expect(hostnameController.plan(node(), facts({ live: 'x', file: 'y', hosts: [] }), [], 0, policies)).toEqual([]);
    for (const wrong of [
      { ...right, live: 'raspberrypi' },
      { ...right, file: 'raspberrypi' },
      { ...right, hosts: [] },
    ]) {
      expect(hostnameController.plan(node('pi-04'), facts(wrong), [], 0, policies)).toEqual([
        { kind: 'hostname-set', node: 4, hostname: 'pi-04', was: wrong.live },
      ]);
    }
  });

  it('applies through one quoted script that writes /etc/hostname and the hosts line', async () => {
    const commands: string[] = [];
    const ctx = {
      node: node('pi-04'),
      target: { node: 4, host: '10.0.0.73', port: 22 },
      now: () => 0,
      signal: new AbortController().signal,
      ssh: {
        exec: async (_t: unknown, command: string) => {
          commands.push(command);
          return { exitCode: 0, stdout: '', stderr: '', durationMs: 1 };
        },
      },
    };
    const result = await hostnameController.apply({ kind: 'hostname-set', node: 4, hostname: 'pi-04', was: 'raspberrypi' }, ctx as never);
    expect(result.ok).toBe(true);
    expect(commands[0]).toContain('n=pi-04');
    expect(commands[0]).toContain('/etc/hostname');
    expect(commands[0]).toContain('127.0.1.1');
  });
});
