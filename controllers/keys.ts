/**
 * keys: the Pi's authorized_keys holds every declared key (the daemon's own first). Undeclared
 * keys are kept unless `exclusive`; the daemon's key is never removed, so the daemon cannot lock
 * itself out. Written atomically with ~/.ssh 700 and the file 600, owned by the user.
 */
import { createHash } from 'node:crypto';
import { pirackError } from '../src/errors.ts';
import type { NodeSpec } from '../src/model/desired.ts';
import type { AuthorizedKeysFacts } from '../src/model/observed.ts';
import type { NodeAction } from '../src/model/actions.ts';
import type { Controller } from '../src/reconcile/controller.ts';
import { runRemoteStep } from '../src/remote/run.ts';
import { atomicWriteScript } from '../src/remote/write-file.ts';
import { shellQuote } from '../src/ssh/quote.ts';
import { keyIdentity } from '../src/model/identity.ts';

type KeysAction = Extract<NodeAction, { kind: 'keys-write' }>;

export { keyIdentity };

/** The file content the node should have, given what it has now. */
export function desiredKeyLines(spec: NodeSpec['authorizedKeys'], present: readonly string[]): string[] {
  const declared = new Set(spec.keys.map((line) => keyIdentity(line)));
  const kept = spec.exclusive
    ? []
    : present.filter((line) => {
        const id = keyIdentity(line);
        return id !== undefined && !declared.has(id);
      });
  return [...spec.keys, ...kept];
}

export const keysController: Controller<'node', KeysAction> = {
  name: 'keys',
  scope: 'node',
  condition: { type: 'KeysInSync', reason: 'KeysDiffer' },
  kinds: ['keys-write'],
  observe: {
    facts: 'authorizedKeys',
    script(node) {
      const user = shellQuote(node.authorizedKeys.user);
      return [
        `h=$(getent passwd ${user} | cut -d: -f6)`,
        '[ -d "$h/.ssh" ] && echo "dir $(stat -c "%a %U" "$h/.ssh")"',
        '[ -f "$h/.ssh/authorized_keys" ] && { echo "file $(stat -c "%a %U" "$h/.ssh/authorized_keys")"; sed "s/^/key /" "$h/.ssh/authorized_keys"; }',
      ].join('\n');
    },
    parse(output, node): AuthorizedKeysFacts {
      let dirMode: string | undefined;
      let fileMode: string | undefined;
      let owner: string | undefined;
      let exists = false;
      const lines: string[] = [];
      for (const line of output.split('\n')) {
        if (line.startsWith('key ')) {
          const key = line.slice(4).trim();
          if (key && !key.startsWith('#')) lines.push(key);
        } else if (line.startsWith('dir ')) {
          dirMode = line.split(' ')[1];
        } else if (line.startsWith('file ')) {
          exists = true;
          [, fileMode, owner] = line.split(' ');
        } else if (line.trim() !== '') {
          throw pirackError('PIRACK_ERR_PROBE_GARBAGE', `keys probe: unexpected line ${JSON.stringify(line.slice(0, 80))}`, {
            where: `pi ${node.id}`,
          });
        }
      }
      return { exists, lines, ...(dirMode ? { dirMode } : {}), ...(fileMode ? { fileMode } : {}), ...(owner ? { owner } : {}) };
    },
  },

  plan(node, facts) {
    const observed = facts.authorizedKeys;
    const wanted = desiredKeyLines(node.authorizedKeys, observed.lines);
    const wantedIds = wanted.map((line) => keyIdentity(line));
    const presentIds = observed.lines.map((line) => keyIdentity(line));
    const sameKeys = wantedIds.length === presentIds.length && wantedIds.every((id, i) => id === presentIds[i]);
    const user = node.authorizedKeys.user;
    const attrsOk = observed.dirMode === '700' && observed.fileMode === '600' && observed.owner === user;
    if (observed.exists && sameKeys && attrsOk) return [];
    const presentSet = new Set(presentIds);
    const wantedSet = new Set(wantedIds);
    return [
      {
        kind: 'keys-write',
        node: node.id,
        user,
        keys: wanted,
        added: wantedIds.filter((id) => !presentSet.has(id)).length,
        removed: presentIds.filter((id) => !wantedSet.has(id)).length,
      },
    ];
  },

  async apply(action, ctx) {
    const content = `${action.keys.join('\n')}\n`;
    const sha256 = createHash('sha256').update(content).digest('hex');
    const user = shellQuote(action.user);
    // The home directory is looked up on the Pi; the group is the user's primary group.
    const script = [
      `h=$(getent passwd ${user} | cut -d: -f6)`,
      `g=$(id -gn ${user})`,
      '[ -n "$h" ] || { echo "pirack: no home directory for user" >&2; exit 2; }',
      `mkdir -p -m 700 "$h/.ssh" && chown ${user}:"$g" "$h/.ssh" && chmod 700 "$h/.ssh"`,
      atomicWriteScript(
        { path: '~/.ssh/authorized_keys', sha256, owner: action.user, group: '', mode: '0600' },
        { path: '"$h/.ssh/authorized_keys"', owner: `${user}:"$g"` },
      ),
    ].join('\n');
    return runRemoteStep(ctx, script, { what: `write ${action.user}'s authorized_keys`, stdin: content });
  },
};
