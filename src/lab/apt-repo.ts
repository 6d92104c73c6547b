/**
 * The lab's local apt repository: a flat repository (`deb [trusted=yes] http://10.213.0.1:8079/ ./`)
 * indexed by dpkg-scanpackages and served on the bridge by a small HTTP server, so Pis install
 * packages with real apt and no internet.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { mustExec, type Exec } from './exec.ts';
import { spawnDetached, type RecordedPid } from './process.ts';
import { MASTER_IP, REPO_PORT } from './paths.ts';

/** Writes Packages and Packages.gz for the .debs in `dir`. */
export async function indexRepo(dir: string, exec: Exec): Promise<void> {
  // Run in the repo so Filename: fields are relative to it (./name.deb), as a flat repo needs.
  const result = await mustExec(exec, 'sh', ['-c', 'cd "$1" && dpkg-scanpackages --multiversion . /dev/null', 'sh', dir], {
    timeoutMs: 120_000,
  });
  await writeFile(path.join(dir, 'Packages'), result.stdout);
  await writeFile(path.join(dir, 'Packages.gz'), gzipSync(result.stdout));
}

/** The argv of the repository's HTTP server (python3's, bound to the bridge address only). */
export function repoServerArgs(repoDir: string): string[] {
  return ['-m', 'http.server', '--bind', MASTER_IP, '--directory', repoDir, String(REPO_PORT)];
}

/** Starts the server detached; the caller records the PID in the lab state. */
export function startRepoServer(repoDir: string, logFile: string): Promise<RecordedPid> {
  return spawnDetached('/usr/bin/python3', repoServerArgs(repoDir), logFile);
}
