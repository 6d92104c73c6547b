/**
 * packages: apt packages present or absent. apt runs non-interactive with a dpkg lock timeout;
 * `apt-get update` runs only when the lists are older than policies.aptListsMaxAge, or once when
 * an install fails because a package is unknown. An interrupted dpkg run (a power cut during an
 * install) is finished with `dpkg --configure -a`, as apt itself asks; a package dpkg marks as
 * needing reinstallation is reported and left for a person. With rack.yaml's master.aptProxy,
 * every apt-get goes through that proxy from the first pass on (src/remote/apt.ts).
 */
import { pirackError } from '../src/errors.ts';
import type { NodeAction } from '../src/model/actions.ts';
import type { PackageFacts, PackagesFacts } from '../src/model/observed.ts';
import type { Controller, NodeContext } from '../src/reconcile/controller.ts';
import { runRemoteStep } from '../src/remote/run.ts';
import { shellCommand } from '../src/ssh/quote.ts';
import { APT_ENV, aptGet } from '../src/remote/apt.ts';
import { ownValue } from '../src/model/lookup.ts';

type PackagesAction = Extract<NodeAction, { kind: 'pkg-install' | 'pkg-remove' | 'pkg-repair' }>;

/** dpkg's first two status letters: wanted state and current state. "ii" is installed. */
export function isInstalled(facts: PackageFacts | undefined): boolean {
  return facts?.status.startsWith('ii') === true;
}

/** Present in any form dpkg would have to purge: installed, half-installed, config files left. */
export function isPresentForRemoval(facts: PackageFacts | undefined): boolean {
  return facts !== undefined && !/^.n/.test(facts.status) && facts.status !== 'un';
}

/** The apt-get command line of this Pi, quoted: the rack's lock timeout and proxy. */
function aptOf(ctx: NodeContext): string {
  return aptGet({
    lockTimeoutSeconds: ctx.policies.dpkgLockTimeoutSeconds,
    ...(ctx.node.aptProxy !== undefined ? { proxy: ctx.node.aptProxy } : {}),
  });
}

export const packagesController: Controller<'node', PackagesAction> = {
  name: 'packages',
  scope: 'node',
  condition: { type: 'PackagesInSync', reason: 'PackagesDiffer' },
  kinds: ['pkg-install', 'pkg-remove', 'pkg-repair'],
  observe: {
    facts: 'packages',
    script(node) {
      const names = node.packages.map((p) => p.name);
      const query =
        names.length > 0
          ? `dpkg-query -W -f='pkg \${Package} \${db:Status-Abbrev} \${Version}\\n' ${shellCommand(names)} 2>/dev/null`
          : ':';
      return [
        query,
        'echo "lists $(stat -c %Y /var/lib/apt/lists/*Packages* 2>/dev/null | sort -n | tail -n 1)"',
        'dpkg --audit 2>/dev/null | head -n 20 | sed "s/^/audit /"',
      ].join('\n');
    },
    parse(output, node): PackagesFacts {
      const byName = new Map<string, PackageFacts>();
      const audit: string[] = [];
      const reinstRequired: string[] = [];
      let listsMtime = 0;
      for (const line of output.split('\n')) {
        if (line.startsWith('pkg ')) {
          // "pkg bc ii  1.07.1-3": the abbreviation's third letter is the error flag, often blank.
          const match = /^pkg (\S+) ([a-z][a-zA-Z])(R?)\s*(\S*)/.exec(line);
          if (!match)
            throw pirackError('PIRACK_ERR_PROBE_GARBAGE', `packages probe: unreadable line ${JSON.stringify(line.slice(0, 80))}`, {
              where: `pi ${node.id}`,
            });
          const [, name, status, flag, version] = match;
          byName.set(name!, { status: status!, ...(version ? { version } : {}) });
          if (flag === 'R') reinstRequired.push(name!);
        } else if (line.startsWith('lists')) {
          listsMtime = Number(line.slice(5).trim()) || 0;
        } else if (line.startsWith('audit ')) {
          audit.push(line.slice(6));
        } else if (line.trim() !== '') {
          throw pirackError('PIRACK_ERR_PROBE_GARBAGE', `packages probe: unexpected line ${JSON.stringify(line.slice(0, 80))}`, {
            where: `pi ${node.id}`,
          });
        }
      }
      return { byName: Object.fromEntries(byName), listsMtime, audit: audit.join('\n').trim(), reinstRequired };
    },
  },

  plan(node, facts, _planned, now, policies) {
    const observed = facts.packages;
    // A package needing reinstallation is a broken state we report rather than paper over.
    if (observed.reinstRequired.length > 0) return [];
    if (observed.audit !== '') return [{ kind: 'pkg-repair', node: node.id, audit: observed.audit }];
    const actions: PackagesAction[] = [];
    const missing = node.packages
      .filter((p) => p.state === 'present' && !isInstalled(ownValue(observed.byName, p.name)))
      .map((p) => p.name);
    const unwanted = node.packages
      .filter((p) => p.state === 'absent' && isPresentForRemoval(ownValue(observed.byName, p.name)))
      .map((p) => p.name);
    if (unwanted.length > 0) actions.push({ kind: 'pkg-remove', node: node.id, pkgs: unwanted });
    if (missing.length > 0) {
      const listsAgeMs = now - observed.listsMtime * 1000;
      actions.push({
        kind: 'pkg-install',
        node: node.id,
        pkgs: missing,
        updateLists: observed.listsMtime === 0 || listsAgeMs > policies.aptListsMaxAgeMs,
      });
    }
    return actions;
  },

  async apply(action, ctx) {
    const apt = aptOf(ctx);
    switch (action.kind) {
      case 'pkg-repair':
        return runRemoteStep(ctx, `${APT_ENV}; dpkg --configure -a && ${apt} -f install`, { what: 'finish the interrupted dpkg run' });
      case 'pkg-remove':
        return runRemoteStep(ctx, `${APT_ENV}; ${apt} purge ${shellCommand(action.pkgs)}`, { what: `purge ${action.pkgs.join(' ')}` });
      case 'pkg-install': {
        const install = `${apt} install --no-install-recommends ${shellCommand(action.pkgs)}`;
        const what = `install ${action.pkgs.join(' ')}`;
        if (action.updateLists) return runRemoteStep(ctx, `${APT_ENV}; ${apt} update && ${install}`, { what });
        const first = await runRemoteStep(ctx, `${APT_ENV}; ${install}`, { what });
        // Stale lists are the usual reason a package is "unknown": refresh once and retry.
        if (first.ok || first.error?.code !== 'PIRACK_ERR_PKG_NOT_FOUND') return first;
        return runRemoteStep(ctx, `${APT_ENV}; ${apt} update && ${install}`, { what });
      }
    }
  },
};
