/**
 * hostname: a Pi whose rack.yaml entry names a `hostname` gets it live, in /etc/hostname (so it
 * survives a reboot) and on /etc/hosts' 127.0.1.1 line (Debian's convention, so `sudo` and mail
 * resolve the name without DNS). A Pi without a `hostname` is left as it is. Duplicate names are
 * refused at validation (src/config/owner-rules.ts).
 */
import type { NodeAction } from '../src/model/actions.ts';
import type { HostnameFacts } from '../src/model/observed.ts';
import type { Controller } from '../src/reconcile/controller.ts';
import { runRemoteStep } from '../src/remote/run.ts';
import { shellQuote } from '../src/ssh/quote.ts';
import { pirackError } from '../src/errors.ts';

type HostnameAction = Extract<NodeAction, { kind: 'hostname-set' }>;

export function parseHostnameFacts(output: string, where: string): HostnameFacts {
  let live = '';
  let file = '';
  let hosts: string[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const [tag, ...rest] = line.split(' ');
    if (tag === 'live') live = rest.join(' ').trim();
    else if (tag === 'file') file = rest.join(' ').trim();
    else if (tag === 'hosts') hosts = rest.join(' ').trim().split(/\s+/).slice(1).filter(Boolean);
    else throw pirackError('PIRACK_ERR_PROBE_GARBAGE', `hostname probe: unexpected line ${JSON.stringify(line.slice(0, 80))}`, { where });
  }
  return { live, file, hosts };
}

export const hostnameController: Controller<'node', HostnameAction> = {
  name: 'hostname',
  scope: 'node',
  condition: { type: 'HostnameInSync', reason: 'HostnameDiffers' },
  kinds: ['hostname-set'],
  observe: {
    facts: 'hostname',
    script: () =>
      [
        'echo "live $(hostname)"',
        '[ -r /etc/hostname ] && echo "file $(head -n1 /etc/hostname)"',
        '[ -r /etc/hosts ] && awk \'$1 == "127.0.1.1" { print "hosts " $0; exit }\' /etc/hosts',
      ].join('\n'),
    parse: (output, node) => parseHostnameFacts(output, `pi ${node.id}`),
  },

  plan(node, facts) {
    const want = node.hostname;
    const seen = facts.hostname;
    if (want === undefined || seen === undefined) return [];
    if (seen.live === want && seen.file === want && seen.hosts[0] === want) return [];
    return [{ kind: 'hostname-set', node: node.id, hostname: want, was: seen.live }];
  },

  /**
   * A failure part-way leaves /etc/hostname written (atomically) but the live name or the hosts
   * line old; the next pass sees the difference and runs it again, which is harmless.
   */
  async apply(action, ctx) {
    const name = shellQuote(action.hostname);
    const script = [
      'set -e',
      `n=${name}`,
      'printf "%s\\n" "$n" > /etc/hostname.pirack-new && mv /etc/hostname.pirack-new /etc/hostname',
      // hostnamectl talks to systemd-hostnamed where it runs; `hostname` is the fallback without it.
      'hostname "$n" 2>/dev/null || hostnamectl set-hostname "$n"',
      // Replace the 127.0.1.1 line, or add one: other lines of /etc/hosts are the owner's.
      'awk -v n="$n" \'BEGIN { done = 0 } $1 == "127.0.1.1" { if (!done) print "127.0.1.1\\t" n; done = 1; next } { print } END { if (!done) print "127.0.1.1\\t" n }\' /etc/hosts > /etc/hosts.pirack-new',
      'cat /etc/hosts.pirack-new > /etc/hosts && rm -f /etc/hosts.pirack-new',
    ].join('\n');
    return runRemoteStep(ctx, script, { what: `set the hostname to ${action.hostname}` });
  },
};
