/**
 * Who else is using the virtual rack right now: e2e test runs, a `pirack daemon` or `pirack lab`
 * command. Read from /proc; the bench's own process and its ancestors (the smoke test runs the
 * bench from inside vitest's e2e project) do not count.
 */
import { readFile, readdir } from 'node:fs/promises';

const USER_PATTERNS: readonly RegExp[] = [
  /vitest.*(--project[= ]e2e|test\/e2e)/,
  // The sources' entry, the installed bin, or a build's entry (dist/cli/pirack.js, dist/src/cli/bin.js).
  /(pirack(\.mjs)?|\/cli\/pirack\.js|\/cli\/bin\.js)\s+(daemon|lab|bench)\b/,
  // Hand-run lab scripts (`tsx /tmp/labtools/up.mts`): a person is working on the lab.
  /\btsx\b.*\blab/,
];

export function isLabUser(cmdline: string): boolean {
  return USER_PATTERNS.some((p) => p.test(cmdline));
}

async function parentOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

/** This process, its ancestors and its descendants' direct parents are "us". */
async function ourLineage(self: number): Promise<Set<number>> {
  const ours = new Set<number>([self]);
  let pid: number | undefined = self;
  for (let depth = 0; depth < 64 && pid !== undefined; depth++) {
    pid = await parentOf(pid);
    if (pid !== undefined) ours.add(pid);
  }
  return ours;
}

export async function othersUsingLab(self = process.pid): Promise<string[]> {
  const ours = await ourLineage(self);
  const found: string[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (ours.has(pid)) continue;
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ').trim();
    if (!cmdline || !isLabUser(cmdline)) continue;
    // A child of ours (the rest scenario's daemon) is ours too.
    const parent = await parentOf(pid);
    if (parent !== undefined && ours.has(parent)) continue;
    found.push(`pid ${pid}: ${cmdline.slice(0, 120)}`);
  }
  return found;
}
