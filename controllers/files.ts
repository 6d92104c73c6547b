/**
 * files: managed files have the declared content, owner, group and mode. Content is compared by
 * sha256 and replaced atomically (src/remote/write-file.ts); owner and mode alone are fixed in
 * place. Services restart after a file they depend on changed (see controllers/services.ts).
 */
import { pirackError } from '../src/errors.ts';
import type { NodeAction } from '../src/model/actions.ts';
import type { FileFacts } from '../src/model/observed.ts';
import type { Controller } from '../src/reconcile/controller.ts';
import { runRemoteStep } from '../src/remote/run.ts';
import { atomicWriteScript } from '../src/remote/write-file.ts';
import { shellQuote } from '../src/ssh/quote.ts';
import { ownValue } from '../src/model/lookup.ts';
import { sameMode } from '../src/model/identity.ts';

type FilesAction = Extract<NodeAction, { kind: 'file-write' | 'file-attrs' }>;

export { sameMode };

export const filesController: Controller<'node', FilesAction> = {
  name: 'files',
  scope: 'node',
  condition: { type: 'FilesInSync', reason: 'FilesDiffer' },
  kinds: ['file-write', 'file-attrs'],
  observe: {
    facts: 'files',
    script(node) {
      if (node.files.length === 0) return ':';
      const paths = node.files.map((f) => shellQuote(f.path)).join(' ');
      // printf, not echo: dash's echo would turn a backslash in a path into a control character.
      return `for f in ${paths}; do if [ -f "$f" ]; then printf 'file %s %s %s\\n' "$(stat -c '%a %U %G' -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)" "$f"; else printf 'missing %s\\n' "$f"; fi; done`;
    },
    parse(output, node): Record<string, FileFacts> {
      const files = new Map<string, FileFacts>();
      for (const line of output.split('\n')) {
        const present = /^file (\d+) (\S+) (\S+) ([0-9a-f]{64}) (.+)$/.exec(line);
        if (present) {
          const [, mode, owner, group, sha256, path] = present;
          files.set(path!, { exists: true, mode: mode!, owner: owner!, group: group!, sha256: sha256! });
        } else if (line.startsWith('missing ')) {
          files.set(line.slice(8), { exists: false });
        } else if (line.trim() !== '') {
          throw pirackError('PIRACK_ERR_PROBE_GARBAGE', `files probe: unreadable line ${JSON.stringify(line.slice(0, 80))}`, {
            where: `pi ${node.id}`,
          });
        }
      }
      return Object.fromEntries(files);
    },
  },

  plan(node, facts) {
    const actions: FilesAction[] = [];
    for (const file of node.files) {
      const seen = ownValue(facts.files, file.path);
      if (!seen?.exists) {
        actions.push({ kind: 'file-write', node: node.id, path: file.path, sha256: file.sha256, reason: 'missing' });
      } else if (seen.sha256 !== file.sha256) {
        actions.push({ kind: 'file-write', node: node.id, path: file.path, sha256: file.sha256, reason: 'content' });
      } else if (!sameMode(seen.mode, file.mode) || seen.owner !== file.owner || seen.group !== file.group) {
        actions.push({ kind: 'file-attrs', node: node.id, path: file.path, owner: file.owner, group: file.group, mode: file.mode });
      }
    }
    return actions;
  },

  async apply(action, ctx) {
    const file = ctx.node.files.find((f) => f.path === action.path);
    if (!file) throw new Error(`files: no spec for ${action.path} on pi ${ctx.node.id}`);
    if (action.kind === 'file-attrs') {
      const path = shellQuote(file.path);
      return runRemoteStep(ctx, `chown ${shellQuote(`${file.owner}:${file.group}`)} ${path} && chmod ${shellQuote(file.mode)} ${path}`, {
        what: `set owner and mode of ${file.path}`,
      });
    }
    return runRemoteStep(ctx, atomicWriteScript(file), { what: `write ${file.path}`, stdin: file.content });
  },
};
