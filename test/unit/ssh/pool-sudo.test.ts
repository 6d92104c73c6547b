/**
 * A login user other than root: every exec goes through sudo, the password travels on stdin only,
 * file contents on stdin still reach the command, and a refusal (wrong password, no sudo rights,
 * no password configured) is an error before anything ran. The Pi's sudo is a stand-in script
 * that behaves like sudo 1.9 for the options PiRack uses (-n, -A with SUDO_ASKPASS, -p); the real
 * one is exercised on the virtual rack (test/e2e/stock-os.test.ts).
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/ssh/secret.ts';
import { startFakeServer, type FakeServer } from './fake-ssh-server.ts';
import { poolFixture, target, type PoolFixture } from './pool-helpers.ts';

const PASSWORD = "s3cret 'pw' $(touch /tmp/nope)";

/** sudo 1.9's behaviour for the options PiRack uses; the "password" and rights come from files beside it. */
const FAKE_SUDO = `#!/bin/sh
here=$(dirname "$0")
mode=; prompt=
while [ $# -gt 0 ]; do
  case "$1" in
    -n) mode=n; shift ;;
    -A) mode=A; shift ;;
    -p) prompt=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
printf '%s\\n' "$*" >> "$here/argv.log"
if [ -f "$here/nopasswd" ]; then :
elif [ "$mode" = n ]; then echo "sudo: a password is required" >&2; exit 1
else
  ok=
  for try in 1 2 3; do
    pw=$("$SUDO_ASKPASS" "$prompt")
    if [ "$pw" = "$(cat "$here/password")" ]; then ok=1; break; fi
    echo "Sorry, try again." >&2
  done
  [ -n "$ok" ] || { echo "sudo: 3 incorrect password attempts" >&2; exit 1; }
fi
if [ -f "$here/denied" ]; then echo "pi is not in the sudoers file." >&2; exit 1; fi
echo "sudo: unable to resolve host raspberrypi: Name or service not known" >&2
exec env -u PIRACK_SUDO_PW "$@"
`;

let fx: PoolFixture;
let server: FakeServer;
let bin: string;

beforeEach(async () => {
  fx = await poolFixture();
  bin = await mkdtemp(join(tmpdir(), 'pirack-fake-sudo-'));
  await writeFile(join(bin, 'sudo'), FAKE_SUDO);
  await chmod(join(bin, 'sudo'), 0o755);
  await writeFile(join(bin, 'password'), `${PASSWORD}\n`);
  server = await startFakeServer({
    authorizedKeys: [fx.clientKey.publicKey],
    password: 'boot-pw',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` },
  });
});

afterEach(async () => {
  await fx.cleanup();
  await server.close();
  await rm(bin, { recursive: true, force: true });
});

describe('a login user other than root', () => {
  it('runs each command through sudo with the password on stdin only, and keeps the rest of stdin for the command', async () => {
    const pool = fx.pool({ user: 'pi', sudoPassword: new Secret(PASSWORD) });
    const res = await pool.exec(target(server.port), 'echo "uid $(id -u)"; echo "pw=${PIRACK_SUDO_PW-unset}"; cat; echo err >&2', {
      stdin: 'file line 1\nfile line 2\n',
    });
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toBe(`uid ${process.getuid?.()}\npw=unset\nfile line 1\nfile line 2\n`);
    // sudo's own chatter and the mark are cut off: stderr is the command's.
    expect(res.stderr).toBe('err\n');
    expect(server.commands[0]).toContain('sudo -A');
    expect(server.commands.join('\n')).not.toContain('s3cret');
    expect(await readFile(join(bin, 'argv.log'), 'utf8')).not.toContain('s3cret');
    expect(fx.logs.text()).not.toContain('s3cret');
    const nothing = await pool.exec(target(server.port), 'cat | wc -c');
    expect(nothing.stdout.trim()).toBe('0');
  });

  it('passes the command’s exit code through and stays one exec per command', async () => {
    const pool = fx.pool({ user: 'pi', sudoPassword: new Secret(PASSWORD) });
    const res = await pool.exec(target(server.port), 'echo partial; exit 7');
    expect(res).toMatchObject({ exitCode: 7, stdout: 'partial\n', stderr: '' });
    expect(server.commands).toHaveLength(1);
  });

  it('a wrong sudo password is SUDO_AUTH and the command never runs', async () => {
    const pool = fx.pool({ user: 'pi', sudoPassword: new Secret('wrong') });
    const marker = join(bin, 'ran');
    await expect(pool.exec(target(server.port), `touch ${marker}`)).rejects.toMatchObject({
      code: 'PIRACK_ERR_SUDO_AUTH',
      message: expect.stringContaining("refused user pi's password"),
      transient: false,
    });
    await expect(readFile(marker)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a user without sudo rights is SUDO_DENIED and the command never runs', async () => {
    await writeFile(join(bin, 'denied'), '');
    const pool = fx.pool({ user: 'pi', sudoPassword: new Secret(PASSWORD) });
    const marker = join(bin, 'ran');
    await expect(pool.exec(target(server.port), `touch ${marker}`)).rejects.toMatchObject({
      code: 'PIRACK_ERR_SUDO_DENIED',
      message: expect.stringContaining('user pi may not use sudo'),
    });
    await expect(readFile(marker)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('without a password uses sudo -n: NOPASSWD works, a password prompt is SUDO_AUTH naming the setting', async () => {
    const pool = fx.pool({ user: 'pi' });
    await expect(pool.exec(target(server.port), 'true')).rejects.toMatchObject({
      code: 'PIRACK_ERR_SUDO_AUTH',
      message: expect.stringContaining('ssh.sudo.passwordFile'),
    });
    await writeFile(join(bin, 'nopasswd'), '');
    const res = await pool.exec(target(server.port), 'echo ok');
    expect(res).toMatchObject({ exitCode: 0, stdout: 'ok\n' });
    expect(server.commands.at(-1)).toContain('sudo -n');
  });

  it('a bootstrap login as another user gives sudo that user’s bootstrap password', async () => {
    await writeFile(join(bin, 'password'), 'boot-pw\n');
    const pool = fx.pool({
      user: 'root',
      privateKey: fx.clientKey.privateKey,
      bootstrap: { user: 'pi', password: new Secret('boot-pw') },
    });
    server.authorizedKeys = [];
    const res = await pool.exec(target(server.port), 'echo as-root');
    expect(res.stdout).toBe('as-root\n');
    expect(pool.usedBootstrap(1)).toBe(true);
    expect(server.commands[0]).toContain('sudo -A');
  });

  it('opens the watch stream through sudo too: the password line first, then the caller’s lines', async () => {
    const pool = fx.pool({ user: 'pi', sudoPassword: new Secret(PASSWORD) });
    const chunks: Buffer[] = [];
    const stream = await pool.openStream(target(server.port), 'echo "uid $(id -u)"; cat', { onStdout: (c) => chunks.push(c) });
    stream.write('spec line\n');
    const text = (): string => Buffer.concat(chunks).toString('utf8');
    const deadline = Date.now() + 5_000;
    while (!text().includes('spec line') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(text()).toBe(`uid ${process.getuid?.()}\nspec line\n`);
    expect(server.commands[0]).toContain('sudo -A');
    stream.close();
    await stream.ended;
  });

  it('root runs commands as they are, without sudo', async () => {
    const pool = fx.pool({ user: 'root', sudoPassword: new Secret(PASSWORD) });
    const res = await pool.exec(target(server.port), 'echo plain');
    expect(res.stdout).toBe('plain\n');
    expect(server.commands[0]).toBe('echo plain');
  });
});
