import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cdistArgv,
  cdistFailures,
  cdistPass,
  parseCdistOutput,
  remoteCopyScript,
  remoteExecScript,
  summarizeError,
  writeCdistWorkspace,
  type WrapperOptions,
} from '../../../../bench/contenders/cdist.ts';
import type { RunProcess } from '../../../../bench/lib/process.ts';
import type { NodeSpec, RackSpec } from '../../../../src/model/desired.ts';
import { nodeSpec, policies } from '../../../support/fixtures.ts';

function rackOf(nodes: NodeSpec[], bootstrap = true): RackSpec {
  return {
    name: 'lab',
    grid: { rows: 1, cols: 1 },
    network: {
      subnet: '10.213.0.0/24',
      master: '10.213.0.1',
      gateway: '10.213.0.1',
      dhcp: { dynamicRange: ['10.213.0.100', '10.213.0.199'], hostsFile: '/x', leasesFile: '/y', pidFile: '/z' },
    },
    ssh: {
      user: 'root',
      port: 2222,
      keyFile: '/lab/master key',
      connectTimeoutMs: 10_000,
      execTimeoutMs: 600_000,
      keepaliveIntervalMs: 15_000,
      concurrency: 16,
      maxSessionsPerConnection: 4,
      ...(bootstrap ? { bootstrap: { user: 'pi', passwordFile: '/lab/bootstrap-password' } } : {}),
    },
    relay: { driver: 'lab', activeLow: true, staggerMs: 0 },
    policies,
    stacks: [],
    nodes,
    actions: [],
    revision: 'r1',
    sourcePath: '/lab/rack.yaml',
  };
}

const nodes = [nodeSpec({ id: 1, ip: '10.213.0.11' }), nodeSpec({ id: 2, ip: '10.213.0.12' })];

const wrapperOptions: WrapperOptions = {
  user: 'root',
  port: 2222,
  keyFile: '/lab/master key',
  knownHostsFile: '/w/known_hosts',
  controlDir: '/w/cm',
  connectTimeoutS: 10,
  persistS: 60,
};

/** The argv a wrapper ends up exec'ing, by running it under sh with `exec` shadowed. */
function wrapperWords(script: string, ...args: string[]): string[] {
  const body = script.replace(/^exec /m, 'printf "%s\\0" ');
  const r = spawnSync('sh', ['-c', body, 'wrapper', ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\0').slice(0, -1);
}

describe('remote wrappers', () => {
  it('run ssh and scp with the lab key, port and one multiplexed master per Pi, batch mode without a password', () => {
    const ssh = wrapperWords(remoteExecScript(wrapperOptions), '10.213.0.11', 'uname', '-a');
    expect(ssh.slice(0, 3)).toEqual(['ssh', '-p', '2222']);
    expect(ssh).toEqual(
      expect.arrayContaining([
        'User=root',
        '/lab/master key',
        'ControlPath=/w/cm/%C',
        'ControlPersist=60s',
        'UserKnownHostsFile=/w/known_hosts',
        'BatchMode=yes',
      ]),
    );
    // cdist's words come last, untouched.
    expect(ssh.slice(-3)).toEqual(['10.213.0.11', 'uname', '-a']);
    const scp = wrapperWords(remoteCopyScript(wrapperOptions), '/src/a', '10.213.0.11:/dst/a');
    expect(scp.slice(0, 4)).toEqual(['scp', '-q', '-P', '2222']);
    expect(scp.slice(-2)).toEqual(['/src/a', '10.213.0.11:/dst/a']);
  });

  it("answer the first contact's password prompt through sshpass -f, never holding the password", () => {
    const withPassword = { ...wrapperOptions, passwordFile: '/lab/bootstrap-password' };
    const script = remoteExecScript(withPassword);
    const argv = wrapperWords(script, 'host', 'true');
    expect(argv.slice(0, 4)).toEqual(['sshpass', '-f', '/lab/bootstrap-password', 'ssh']);
    expect(argv).not.toContain('BatchMode=yes');
    expect(wrapperWords(remoteCopyScript(withPassword), 'a', 'h:b').slice(0, 4)).toEqual([
      'sshpass',
      '-f',
      '/lab/bootstrap-password',
      'scp',
    ]);
  });
});

describe('writeCdistWorkspace', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes the manifest, the files with the exact contents and executable wrappers', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-cdist-'));
    const ws = await writeCdistWorkspace(dir, rackOf(nodes), nodes, true);
    const manifest = await readFile(ws.manifest, 'utf8');
    const source = /__file \/usr\/local\/lib\/pirack\/pirack-slave\.js --source (\S+)/.exec(manifest)?.[1];
    expect(await readFile(source!, 'utf8')).toBe(nodes[0]!.files[0]!.content);
    expect((await stat(ws.remoteExec)).mode & 0o777).toBe(0o700);
    // First contact logs in as the bootstrap user, by password.
    const exec = await readFile(ws.remoteExec, 'utf8');
    expect(exec).toContain('sshpass -f /lab/bootstrap-password ssh');
    expect(exec).toContain('User=pi');
    expect(exec).toContain("'/lab/master key'");
  });

  it('refuses a converge from blank without a bootstrap password, a directory cdist would split, and an uneven rack', async () => {
    await expect(writeCdistWorkspace('/tmp/no such', rackOf(nodes), nodes, false)).rejects.toThrow(/contains a blank/);
    await expect(writeCdistWorkspace('/tmp/x', rackOf(nodes, false), nodes, true)).rejects.toThrow(/needs ssh.bootstrap.passwordFile/);
    const odd = nodeSpec({ id: 3, packages: [] });
    await expect(writeCdistWorkspace('/tmp/x', rackOf(nodes), [...nodes, odd], false)).rejects.toThrow(
      /the cdist contender needs every Pi alike/,
    );
  });
});

// Shapes taken from cdist 7.0.0's own output (INFO to stdout, ERROR to stderr); with -p or -j
// each line carries the worker's PID after the level.
const OK = `INFO: [101]: 10.213.0.11: Starting configuration run
INFO: [102]: 10.213.0.12: Starting configuration run
INFO: [103]: 10.213.0.11: Processing __package_apt/nodejs
INFO: [104]: 10.213.0.11: Processing __file/usr/local/lib/pirack/pirack-slave.js
INFO: [101]: 10.213.0.11: Finished successful run in 12.34 seconds
INFO: [102]: 10.213.0.12: Finished successful run in 3.21 seconds
`;
const FAILED = `ERROR: [102]: 10.213.0.12: /usr/lib/python3/dist-packages/cdist/conf/type/__systemd_service/gencode-remote: ['/usr/lib/python3/dist-packages/cdist/conf/type/__systemd_service/gencode-remote']

Error processing object '__systemd_service/pirack-slave.service'
================================================================
name: __systemd_service/pirack-slave.service
type: /usr/lib/python3/dist-packages/cdist/conf/type/__systemd_service

gencode-remote:stderr
---------------------
systemd or service 'pirack-slave.service' does not exist!


ERROR: cdist: Failed to configure the following hosts: 10.213.0.12 10.213.0.13
`;

describe('cdist output', () => {
  it('counts finished hosts and changed objects', () => {
    const report = parseCdistOutput(OK);
    expect([...report.finished].sort()).toEqual(['10.213.0.11', '10.213.0.12']);
    expect(report.changed.get('10.213.0.11')).toBe(2);
    expect(report.changed.has('10.213.0.12')).toBe(false);
    expect(cdistFailures(nodes, report, 0, OK)).toEqual([]);
  });

  it('explains a failed host by its object and the last line of its stderr', () => {
    // Without -p/-j (one host) there is no PID.
    const report = parseCdistOutput(`INFO: 10.213.0.11: Finished successful run in 1 seconds\n${FAILED}`);
    expect([...report.failedHosts]).toEqual(['10.213.0.12', '10.213.0.13']);
    expect(report.errors.get('10.213.0.12')).toBe(
      "__systemd_service/pirack-slave.service: systemd or service 'pirack-slave.service' does not exist!",
    );
    const three = [...nodes, nodeSpec({ id: 3, ip: '10.213.0.13' }), nodeSpec({ id: 4, ip: '10.213.0.14' })];
    expect(cdistFailures(three, report, 1, FAILED)).toEqual([
      "pi 2 (10.213.0.12): failed: __systemd_service/pirack-slave.service: systemd or service 'pirack-slave.service' does not exist!",
      'pi 3 (10.213.0.13): failed',
      'pi 4 (10.213.0.14): did not finish',
    ]);
  });

  it('reports a non-zero exit even when every host finished', () => {
    expect(cdistFailures(nodes, parseCdistOutput(OK), 2, `${OK}Traceback: boom\n`)).toEqual(['cdist exited 2: Traceback: boom']);
  });

  it('keeps a one-line error as it is', () => {
    expect(summarizeError(['ssh: connect to host 10.213.0.12 port 22: Connection refused'])).toBe(
      'ssh: connect to host 10.213.0.12 port 22: Connection refused',
    );
  });
});

describe('cdistPass', () => {
  it('runs cdist config on every Pi at once, with its cache and temp files in the workspace', async () => {
    const calls: { file: string; args: readonly string[]; env?: NodeJS.ProcessEnv }[] = [];
    const run: RunProcess = async (file, args, o) => {
      calls.push({ file, args, ...(o.env ? { env: o.env } : {}) });
      return { code: 0, stdout: OK, stderr: '', durationMs: 4321 };
    };
    const ws = {
      manifest: '/w/manifest',
      remoteExec: '/w/remote-exec',
      remoteCopy: '/w/remote-copy',
      home: '/w/home',
      tmpDir: '/w/tmp',
      controlDir: '/w/cm',
    };
    const outcome = await cdistPass({ run, timeoutMs: 1000, parallel: 2, jobs: 3 }, ws, nodes);
    expect(outcome).toMatchObject({ durationMs: 4321, failures: [], changed: 2 });
    expect(calls[0]!.file).toBe('cdist');
    expect(calls[0]!.args).toEqual([
      'config',
      '-v',
      '-i',
      '/w/manifest',
      '-p',
      '2',
      '-j',
      '3',
      '--remote-exec',
      '/w/remote-exec',
      '--remote-copy',
      '/w/remote-copy',
      '10.213.0.11',
      '10.213.0.12',
    ]);
    expect(calls[0]!.env).toMatchObject({ HOME: '/w/home', TMPDIR: '/w/tmp' });
    expect(cdistArgv(ws, { run, timeoutMs: 1, parallel: 0 }, nodes).slice(4, 6)).toEqual(['-p', '1']);
  });
});
