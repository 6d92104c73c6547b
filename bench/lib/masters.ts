/** Closes the OpenSSH master connections whose sockets live in one directory (bounded). */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sshExitArgv } from '../contenders/openssh.ts';
import type { RunProcess } from './process.ts';

export async function closeMasters(dir: string, run: RunProcess): Promise<number> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  let closed = 0;
  await Promise.all(
    entries.map(async (name) => {
      const path = join(dir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isSocket()) return;
      const [file, args] = sshExitArgv(path);
      const result = await run(file, args, { timeoutMs: 5000 }).catch(() => undefined);
      if (result?.code === 0) closed++;
    }),
  );
  return closed;
}
