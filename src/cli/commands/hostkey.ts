/**
 * `pirack hostkey list|repin`: the operator's side of host key pinning. A repin only edits the
 * pins file; a running daemon re-reads it before it next tries the quarantined Pi.
 */
import { Command, InvalidArgumentError } from 'commander';
import { openHostKeyStore, type HostKeyRecord } from '../../ssh/hostkeys.ts';

export const DEFAULT_STATE_DIR = '/var/lib/pirack';

/** Where the command's output goes; tests pass their own. */
export interface HostkeyCommandIo {
  readonly out: (text: string) => void;
}

const stdoutIo: HostkeyCommandIo = { out: (text) => void process.stdout.write(text) };

/** Builds the `hostkey` command with its `list` and `repin` subcommands. Failures throw PiRackError. */
export function hostkeyCommand(io: HostkeyCommandIo = stdoutIo): Command {
  const hostkey = new Command('hostkey').description('Show or reset the pinned SSH host keys of the Pis (trust on first use)');

  hostkey
    .command('list')
    .description('List pinned host keys and quarantined Pis')
    .option('--state-dir <dir>', 'PiRack state directory', DEFAULT_STATE_DIR)
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { stateDir: string; json?: boolean }) => {
      const store = await openHostKeyStore({ stateDir: opts.stateDir });
      const rows = store.list();
      if (opts.json) {
        io.out(`${JSON.stringify(Object.fromEntries(rows.map(([id, r]) => [String(id), r])), null, 2)}\n`);
        return;
      }
      if (rows.length === 0) {
        io.out(`No host keys pinned in ${store.path}.\n`);
        return;
      }
      io.out(formatTable(rows));
    });

  hostkey
    .command('repin')
    .description("Forget a Pi's pinned host key and lift its quarantine; its next contact pins the key it shows then")
    .argument('<pi>', 'Pi id as in rack.yaml', parsePiId)
    .option('--state-dir <dir>', 'PiRack state directory', DEFAULT_STATE_DIR)
    .action(async (pi: number, opts: { stateDir: string }) => {
      const store = await openHostKeyStore({ stateDir: opts.stateDir });
      const before = store.get(pi);
      const removed = await store.repin(pi);
      if (!removed || !before) {
        io.out(`pi ${pi} has no pinned host key; nothing to do.\n`);
        return;
      }
      const lifted = before.quarantine ? ` and lifted its quarantine (it had shown ${before.quarantine.fingerprint})` : '';
      io.out(
        `pi ${pi}: forgot pinned key ${before.fingerprint}${lifted}.\n` +
          'The next connection trusts and pins the key the Pi shows then; a running daemon picks this up on its next attempt.\n',
      );
    });

  return hostkey;
}

function parsePiId(value: string): number {
  const id = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(id) || id < 1) throw new InvalidArgumentError('expected a Pi id (a positive integer).');
  return id;
}

function formatTable(rows: ReadonlyArray<readonly [number, HostKeyRecord]>): string {
  const header = ['PI', 'HOST', 'TYPE', 'FINGERPRINT', 'PINNED AT', 'STATE'];
  const lines = rows.map(([id, r]) => [
    String(id),
    r.host,
    r.keyType,
    r.fingerprint,
    r.pinnedAt,
    r.quarantine ? `QUARANTINED: showed ${r.quarantine.fingerprint} at ${r.quarantine.seenAt}` : 'ok',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[header, ...lines].map(render).join('\n')}\n`;
}
