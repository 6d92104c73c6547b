import { describe, expect, it } from 'vitest';
import { mountsUnder } from '../../../src/lab/mounts.ts';

const mountinfo = [
  '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '40 22 7:0 / /var/lib/pirack-lab/pis/1/sd rw - ext4 /dev/loop0 rw',
  '41 22 0:50 / /var/lib/pirack-lab/pis/1/root rw - overlay overlay rw',
  '42 22 0:51 / /var/lib/pirack-lab-other/x rw - tmpfs tmpfs rw',
  '43 22 0:52 / /var/lib/pirack-lab/pis/with\\040space rw - tmpfs tmpfs rw',
].join('\n');

describe('lab mounts', () => {
  it('lists mounts under the lab dir only, deepest first', () => {
    const found = mountsUnder(mountinfo, '/var/lib/pirack-lab');
    expect(found).toContain('/var/lib/pirack-lab/pis/with space');
    expect(found).not.toContain('/var/lib/pirack-lab-other/x');
    expect(found).not.toContain('/');
    expect(found.indexOf('/var/lib/pirack-lab/pis/1/root')).toBeLessThan(found.indexOf('/var/lib/pirack-lab/pis/with space'));
  });
});
