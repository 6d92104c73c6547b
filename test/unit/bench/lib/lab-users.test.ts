import { describe, expect, it } from 'vitest';
import { isLabUser, othersUsingLab } from '../../../../bench/lib/lab-users.ts';

describe('isLabUser', () => {
  it('recognises e2e test runs and lab-using pirack commands', () => {
    expect(isLabUser('node /work/main/node_modules/.bin/vitest run --project e2e test/e2e/lab.test.ts')).toBe(true);
    expect(isLabUser('node node_modules/vitest/vitest.mjs run test/e2e/daemon.test.ts')).toBe(true);
    expect(isLabUser('node src/cli/pirack.mjs daemon --rack /var/lib/pirack-lab/rack.yaml')).toBe(true);
    expect(isLabUser('node src/cli/pirack.mjs lab up --stacks 2')).toBe(true);
    expect(isLabUser('node /usr/lib/node_modules/pirack/bin/pirack.mjs daemon')).toBe(true);
    expect(isLabUser('node dist/src/cli/bin.js lab up')).toBe(true);
    expect(isLabUser('node /work/main/dist/cli/pirack.js daemon --rack r.yaml')).toBe(true);
  });

  it('ignores unit test runs and unrelated commands', () => {
    expect(isLabUser('node node_modules/.bin/vitest run --project unit')).toBe(false);
    expect(isLabUser('node src/cli/pirack.mjs validate rack.yaml')).toBe(false);
    expect(isLabUser('node dist/src/cli/bin.js validate --rack rack.yaml')).toBe(false);
    expect(isLabUser('node dist/cli/pirack.js validate --rack rack.yaml')).toBe(false);
    expect(isLabUser('/usr/sbin/sshd -D')).toBe(false);
  });
});

describe('othersUsingLab', () => {
  it('never counts this process or its ancestors (this very test runs under vitest)', async () => {
    const others = await othersUsingLab();
    expect(others.some((o) => o.startsWith(`pid ${process.pid}:`))).toBe(false);
    expect(others.some((o) => o.startsWith(`pid ${process.ppid}:`))).toBe(false);
  });
});

describe('hand-run lab scripts', () => {
  it('count as someone working on the lab', () => {
    expect(
      isLabUser(
        '/usr/bin/node --require /work/main/node_modules/tsx/dist/preflight.cjs --import file:///x/loader.mjs /tmp/labtools/up.mts 12 4',
      ),
    ).toBe(true);
    expect(isLabUser('node node_modules/.bin/tsx scripts/format.ts')).toBe(false);
  });
});
