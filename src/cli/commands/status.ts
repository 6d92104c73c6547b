/** `pirack status`: the last status report the daemon (or apply --once) wrote, for people. */
import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pirackError } from '../../errors.ts';
import type { StatusReport } from '../../model/status.ts';
import { STATUS_FILE } from '../../daemon/runtime.ts';
import { DEFAULT_STATE_DIR } from '../common.ts';
import { table } from '../output.ts';

export function statusCommand(): Command {
  return new Command('status')
    .description(`print the rack's last status report (${STATUS_FILE} in the state dir)`)
    .option(
      '--state-dir <dir>',
      'where the daemon writes status.json (env PIRACK_STATE_DIR)',
      process.env.PIRACK_STATE_DIR ?? DEFAULT_STATE_DIR,
    )
    .option('--json', 'print the report as it is stored')
    .action(async (opts: { stateDir: string; json?: boolean }) => {
      const path = join(opts.stateDir, STATUS_FILE);
      const text = await readFile(path, 'utf8').catch((cause: unknown) => {
        throw pirackError(
          'PIRACK_ERR_STATE',
          `no status report at ${path}: start \`pirack daemon\` or run \`pirack apply --once\` first, or pass --state-dir`,
          { cause },
        );
      });
      if (opts.json) {
        process.stdout.write(text);
        return;
      }
      process.stdout.write(`${formatStatus(JSON.parse(text) as StatusReport)}\n`);
    });
}

export function formatStatus(report: StatusReport): string {
  const { rack } = report;
  const lines = [
    `rack ${rack.name}: ${rack.ready ? 'Ready' : 'NOT ready'} — ${rack.counts.ready}/${rack.counts.nodes} Pis ready, ${rack.counts.unreachable} unreachable, ${rack.counts.quarantined} quarantined${rack.suspended ? ' (suspended)' : ''}`,
    `revision applied ${rack.lastAppliedRevision ?? '-'}, attempted ${rack.lastAttemptedRevision ?? '-'}; last pass ${rack.lastPassAt ?? '-'}${rack.lastPassDurationMs !== undefined ? ` (${rack.lastPassDurationMs} ms)` : ''}`,
  ];
  for (const error of rack.revisionErrors) lines.push(`  rejected revision: ${error}`);
  lines.push(
    '',
    table(
      ['stack', 'power', 'health', 'pis'],
      report.stacks.map((s) => [
        String(s.id),
        `${s.power} (want ${s.desiredPower}${s.override ? `: override by ${s.override.by} at ${s.override.at}, rack.yaml says ${s.override.rackYamlPower}` : ''})`,
        s.health,
        s.nodes.join(','),
      ]),
    ),
    '',
  );
  const notReady = report.nodes.filter((n) => n.conditions.find((c) => c.type === 'Ready')?.status !== 'True');
  if (notReady.length > 0) {
    lines.push(
      table(
        ['pi', 'ip', 'not ready because'],
        notReady.map((n) => {
          const failing = n.conditions.filter((c) => c.status !== 'True' && c.type !== 'Ready');
          return [String(n.id), n.observed.ip, failing.map((c) => `${c.type}: ${c.reason}`).join('; ') || 'not observed yet'];
        }),
      ),
    );
  }
  return lines.join('\n');
}
