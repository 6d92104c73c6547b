/** Writes a BuiltRack as rack.yaml text in the layout of docs/rack-format.md, with the standard defaults. */
import type { BuiltRack } from './build.ts';
import { KNOWN_ACTIONS } from './actions.ts';
import { ORIGINAL_NETWORK } from './build.ts';
import { KNOWN_CHIP_LABELS } from '../relay/chip.ts';

/** JSON strings are valid YAML double-quoted scalars: safe for any command text. */
const q = (s: string) => JSON.stringify(s);

const DEFAULTS_BLOCK = `defaults:
  authorizedKeys:
    user: root
    keys: []                 # the daemon's own key is always added
    exclusive: false
  packages:
    - { name: bc }           # the original's cpu script needed it
    - { name: nodejs }       # runs pirack-slave
  files:
    - path: /usr/local/lib/pirack/pirack-slave.js
      source: builtin:pirack-slave
      owner: root
      group: root
      mode: "0644"
    - path: /etc/systemd/system/pirack-slave.service
      owner: root
      group: root
      mode: "0644"
      content: |
        [Unit]
        Description=PiRack slave (no network port; add --port N for a loopback-only exporter)
        After=network-online.target
        Wants=network-online.target

        [Service]
        ExecStart=/usr/bin/node /usr/local/lib/pirack/pirack-slave.js serve
        Restart=always
        RestartSec=2
        DynamicUser=yes
        NoNewPrivileges=yes

        [Install]
        WantedBy=multi-user.target
  services:
    - name: pirack-slave.service
      enabled: true
      running: true
      restartOnChangeOf: [/usr/local/lib/pirack/pirack-slave.js]
`;

export function renderRack(rack: BuiltRack, sources: readonly string[]): string {
  const n = ORIGINAL_NETWORK;
  const out: string[] = [
    `# Imported by \`pirack import\` from ${sources.join(', ')}.`,
    '# Format: docs/rack-format.md; check it with `pirack validate`.',
    'apiVersion: pirack/v1',
    `name: ${rack.name}`,
    `grid: { rows: ${rack.grid.rows}, cols: ${rack.grid.cols} }`,
    '',
    'network:',
    `  subnet: ${n.subnet}`,
    `  master: ${n.master}`,
    `  gateway: ${n.gateway}`,
    '  dhcp:',
    `    dynamicRange: [${n.dynamicRange[0]}, ${n.dynamicRange[1]}]   # Pis not enlisted yet`,
    '',
    'ssh:',
    '  user: root',
    '  keyFile: /var/lib/pirack/id_ed25519        # its .pub is always kept in authorized_keys',
    '  bootstrap:                                  # first contact with a freshly flashed Pi',
    '    user: root',
    '    passwordFile: secrets/bootstrap-password  # not committed',
    '',
    'relay:',
    `  driver: ${rack.relayDriver}`,
    ...(rack.relayDriver === 'onoff'
      ? [
          "  activeLow: true            # the original's board: LOW = stack ON",
          // No chipLabel: the relay finds the SoC's chip itself (src/relay/chip.ts), so a Pi 4 or Pi 5 master works too.
          `  # chipLabel: detected (${KNOWN_CHIP_LABELS.join(', ')}); set it only for another GPIO chip`,
        ]
      : []),
    '',
    DEFAULTS_BLOCK,
    'stacks:',
  ];
  rack.stacks.forEach((s, i) => {
    if (i > 0) out.push('');
    out.push(`  - id: ${s.id}`, `    x: ${s.x}`, `    y: ${s.y}`);
    if (s.relayPin !== undefined) out.push(`    relayPin: ${s.relayPin}`);
    out.push('    power: on');
    if (s.pis.length === 0) out.push('    pis: []');
    else {
      out.push('    pis:');
      for (const pi of s.pis) out.push(`      - { id: ${pi.id}, ip: ${pi.ip}${pi.mac ? `, mac: ${q(pi.mac)}` : ''} }`);
    }
  });
  const actions = rack.actions.length > 0 ? rack.actions : Object.entries(KNOWN_ACTIONS).map(([name, a]) => ({ name, ...a }));
  out.push('', 'actions:                     # run over SSH as ssh.user; reboot is built in (supervised: back and Ready)');
  for (const a of actions) {
    out.push(`  ${a.name}: { command: ${q(a.command)}${a.description !== undefined ? `, description: ${q(a.description)}` : ''} }`);
  }
  return `${out.join('\n')}\n`;
}
