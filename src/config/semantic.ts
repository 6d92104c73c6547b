/**
 * Rules the schema cannot express: uniqueness across the rack, addresses that fit the network,
 * stacks that fit the grid, references between keys. Pure; each rule is exported for its tests.
 * Rules run even when the schema found problems, so a person sees everything at once; a rule that
 * meets a shape the schema already rejected skips what it cannot read.
 */
import type { RawFile, RawNodeLists, RawRack, RawStack } from './raw.ts';
import type { UnplacedProblem } from './problem.ts';
import { humanPath } from './problem.ts';
import { inSubnet, intToIp, ipToInt, parseSubnet } from './net.ts';
import { durationBounds } from './duration-bounds.ts';
import { posix } from 'node:path';
import { corsWildcardWithCookies, duplicateHostnames, webhookUrls } from './owner-rules.ts';
import { aptProxyAddress } from './master-rules.ts';

export type Rule = (rack: RawRack) => UnplacedProblem[];

type Seg = (string | number)[];

function stacksOf(rack: RawRack): RawStack[] {
  return Array.isArray(rack?.stacks) ? rack.stacks.filter((s) => s && typeof s === 'object') : [];
}

interface PiRef {
  readonly stackIndex: number;
  readonly piIndex: number;
  readonly pi: { id?: unknown; ip?: unknown; mac?: unknown; overrides?: RawNodeLists };
}

function pisOf(rack: RawRack): PiRef[] {
  const out: PiRef[] = [];
  stacksOf(rack).forEach((stack, stackIndex) => {
    if (!Array.isArray(stack.pis)) return;
    stack.pis.forEach((pi, piIndex) => {
      if (pi && typeof pi === 'object') out.push({ stackIndex, piIndex, pi });
    });
  });
  return out;
}

/** Reports every later occurrence of a key already seen, pointing back at the first. */
function duplicates<T>(
  items: readonly T[],
  keyOf: (item: T) => string | undefined,
  pathOf: (item: T) => Seg,
  say: (item: T, first: T, key: string) => Omit<UnplacedProblem, 'segments'>,
): UnplacedProblem[] {
  const seen = new Map<string, T>();
  const out: UnplacedProblem[] = [];
  for (const item of items) {
    const key = keyOf(item);
    if (key === undefined) continue;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, item);
    else out.push({ segments: pathOf(item), ...say(item, first, key) });
  }
  return out;
}

const piPath = (r: PiRef): Seg => ['stacks', r.stackIndex, 'pis', r.piIndex];

export const duplicateStackIds: Rule = (rack) =>
  duplicates(
    stacksOf(rack).map((s, i) => ({ s, i })),
    ({ s }) => (typeof s.id === 'number' ? String(s.id) : undefined),
    ({ i }) => ['stacks', i, 'id'],
    ({ i }, first, id) => ({
      message: `${humanPath(['stacks', i, 'id'])} ${id} is already the id of ${humanPath(['stacks', first.i])}`,
      hint: 'Give every stack its own id.',
    }),
  );

export const duplicatePiIds: Rule = (rack) =>
  duplicates(
    pisOf(rack),
    (r) => (typeof r.pi.id === 'number' ? String(r.pi.id) : undefined),
    (r) => [...piPath(r), 'id'],
    (r, first, id) => ({
      message: `${humanPath([...piPath(r), 'id'])} ${id} is already the id of ${humanPath(piPath(first))} (stack ${stackId(rack, first)})`,
      hint: 'Pi ids are unique across the whole rack; renumber one of them.',
    }),
  );

function stackId(rack: RawRack, r: PiRef): string {
  return String(stacksOf(rack)[r.stackIndex]?.id ?? r.stackIndex + 1);
}

export const duplicateIps: Rule = (rack) =>
  duplicates(
    pisOf(rack),
    (r) => (typeof r.pi.ip === 'string' ? r.pi.ip : undefined),
    (r) => [...piPath(r), 'ip'],
    (r, first, ip) => ({
      message: `${humanPath([...piPath(r), 'ip'])} "${ip}" is already the address of Pi ${String(first.pi.id)} (${humanPath(piPath(first))})`,
      hint: 'Give every Pi its own fixed IP.',
    }),
  );

export const duplicateMacs: Rule = (rack) =>
  duplicates(
    pisOf(rack),
    (r) => (typeof r.pi.mac === 'string' ? r.pi.mac.toLowerCase() : undefined),
    (r) => [...piPath(r), 'mac'],
    (r, first) => ({
      message: `${humanPath([...piPath(r), 'mac'])} "${String(r.pi.mac)}" is already the MAC of Pi ${String(first.pi.id)} (${humanPath(piPath(first))})`,
      hint: 'A MAC belongs to one Pi; remove the wrong one (MACs compare case-insensitively) and let enlistment find it.',
    }),
  );

export const duplicateRelayPins: Rule = (rack) =>
  duplicates(
    stacksOf(rack).map((s, i) => ({ s, i })),
    ({ s }) => (typeof s.relayPin === 'number' ? String(s.relayPin) : undefined),
    ({ i }) => ['stacks', i, 'relayPin'],
    ({ i }, first, pin) => ({
      message: `${humanPath(['stacks', i, 'relayPin'])} ${pin} already switches stack ${String(first.s.id)}`,
      hint: 'Each stack needs its own relay line; check the wiring and set the right BCM GPIO number.',
    }),
  );

export const networkAddresses: Rule = (rack) => {
  const net = rack?.network;
  if (!net || typeof net.subnet !== 'string') return [];
  const subnet = parseSubnet(net.subnet);
  if (!subnet) return [];
  const out: UnplacedProblem[] = [];
  const cidr = `${intToIp(subnet.network)}/${subnet.bits}`;
  if (cidr !== net.subnet) {
    out.push({
      segments: ['network', 'subnet'],
      message: `network.subnet "${net.subnet}" has host bits set`,
      hint: `Write the network address: ${cidr}.`,
    });
  }
  for (const key of ['master', 'gateway'] as const) {
    const ip = typeof net[key] === 'string' ? ipToInt(net[key]) : undefined;
    if (ip !== undefined && !inSubnet(ip, subnet)) {
      out.push({
        segments: ['network', key],
        message: `network.${key} "${net[key]}" is outside network.subnet ${cidr}`,
        hint: `Use an address inside ${cidr}, or fix the subnet.`,
      });
    }
  }
  const range = net.dhcp?.dynamicRange;
  if (Array.isArray(range) && range.length === 2) {
    const [a, b] = range.map((r) => (typeof r === 'string' ? ipToInt(r) : undefined));
    range.forEach((r, i) => {
      const n = typeof r === 'string' ? ipToInt(r) : undefined;
      if (n !== undefined && !inSubnet(n, subnet)) {
        out.push({
          segments: ['network', 'dhcp', 'dynamicRange', i],
          message: `network.dhcp.dynamicRange[${i}] "${r}" is outside network.subnet ${cidr}`,
          hint: `Use addresses inside ${cidr}.`,
        });
      }
    });
    if (a !== undefined && b !== undefined && a > b) {
      out.push({
        segments: ['network', 'dhcp', 'dynamicRange'],
        message: `network.dhcp.dynamicRange starts after it ends (${range[0]} > ${range[1]})`,
        hint: 'Write [first, last] with first ≤ last.',
      });
    }
  }
  return out;
};

export const piAddresses: Rule = (rack) => {
  const net = rack?.network;
  const subnet = typeof net?.subnet === 'string' ? parseSubnet(net.subnet) : undefined;
  const master = typeof net?.master === 'string' ? ipToInt(net.master) : undefined;
  const gateway = typeof net?.gateway === 'string' ? ipToInt(net.gateway) : undefined;
  const range = net?.dhcp?.dynamicRange;
  const lo = Array.isArray(range) && typeof range[0] === 'string' ? ipToInt(range[0]) : undefined;
  const hi = Array.isArray(range) && typeof range[1] === 'string' ? ipToInt(range[1]) : undefined;
  const out: UnplacedProblem[] = [];
  for (const r of pisOf(rack)) {
    if (typeof r.pi.ip !== 'string') continue;
    const ip = ipToInt(r.pi.ip);
    if (ip === undefined) continue;
    const segments = [...piPath(r), 'ip'];
    const where = `${humanPath(segments)} "${r.pi.ip}"`;
    if (subnet && !inSubnet(ip, subnet)) {
      out.push({
        segments,
        message: `${where} is outside network.subnet ${net.subnet}`,
        hint: `Give Pi ${String(r.pi.id)} an address inside ${net.subnet}.`,
      });
    } else if (subnet && (ip === subnet.first || ip === subnet.last)) {
      out.push({
        segments,
        message: `${where} is the ${ip === subnet.first ? 'network' : 'broadcast'} address of ${net.subnet}`,
        hint: 'Use a host address.',
      });
    }
    if (ip === master)
      out.push({ segments, message: `${where} is the master's address`, hint: 'The master keeps its address; give the Pi another one.' });
    if (ip === gateway) out.push({ segments, message: `${where} is the gateway's address`, hint: 'Give the Pi another address.' });
    if (lo !== undefined && hi !== undefined && ip >= lo && ip <= hi) {
      out.push({
        segments,
        message: `${where} is inside the dynamic DHCP range ${String(range?.[0])}–${String(range?.[1])}`,
        hint: 'Fixed addresses must lie outside network.dhcp.dynamicRange, or dnsmasq may lease them to another Pi.',
      });
    }
  }
  return out;
};

export const gridPlacement: Rule = (rack) => {
  const rows = typeof rack?.grid?.rows === 'number' ? rack.grid.rows : undefined;
  const cols = typeof rack?.grid?.cols === 'number' ? rack.grid.cols : undefined;
  const stacks = stacksOf(rack).map((s, i) => ({ s, i }));
  const out: UnplacedProblem[] = [];
  for (const { s, i } of stacks) {
    if (typeof s.x === 'number' && rows !== undefined && s.x > rows) {
      out.push({
        segments: ['stacks', i, 'x'],
        message: `stacks[${i}].x ${s.x} is outside the grid (grid.rows is ${rows})`,
        hint: `Use a row from 1 to ${rows}, or make grid.rows larger.`,
      });
    }
    if (typeof s.y === 'number' && cols !== undefined && s.y > cols) {
      out.push({
        segments: ['stacks', i, 'y'],
        message: `stacks[${i}].y ${s.y} is outside the grid (grid.cols is ${cols})`,
        hint: `Use a column from 1 to ${cols}, or make grid.cols larger.`,
      });
    }
  }
  out.push(
    ...duplicates(
      stacks,
      ({ s }) => (typeof s.x === 'number' && typeof s.y === 'number' ? `${s.x},${s.y}` : undefined),
      ({ i }) => ['stacks', i],
      ({ s, i }, first) => ({
        message: `stacks[${i}] (stack ${String(s.id)}) stands on grid cell x=${s.x}, y=${s.y}, already taken by stack ${String(first.s.id)}`,
        hint: 'Each grid cell holds one stack; change x or y.',
      }),
    ),
  );
  return out;
};

export const relayPinRequired: Rule = (rack) => {
  const driver = rack?.relay?.driver;
  if (driver !== 'onoff' && driver !== 'gpiod') return [];
  return stacksOf(rack).flatMap((s, i) =>
    typeof s.relayPin === 'number'
      ? []
      : [
          {
            segments: ['stacks', i],
            message: `stacks[${i}] (stack ${String(s.id)}) has no relayPin, which the ${driver} relay driver needs`,
            hint: 'Add `relayPin: <BCM GPIO line>` (the original used 18, 25, 12, 21 for stacks 1–4), or use relay.driver: manual.',
          },
        ],
  );
};

/** Every list of packages, files and services in the document: the defaults and each Pi's overrides. */
function nodeLists(rack: RawRack): { segments: Seg; lists: RawNodeLists }[] {
  const out: { segments: Seg; lists: RawNodeLists }[] = [];
  if (rack?.defaults && typeof rack.defaults === 'object') out.push({ segments: ['defaults'], lists: rack.defaults });
  for (const r of pisOf(rack)) {
    if (r.pi.overrides && typeof r.pi.overrides === 'object') out.push({ segments: [...piPath(r), 'overrides'], lists: r.pi.overrides });
  }
  return out;
}

function entries<T>(list: unknown): { item: T; index: number }[] {
  return Array.isArray(list) ? list.map((item: T, index) => ({ item, index })).filter(({ item }) => item && typeof item === 'object') : [];
}

export const duplicateListEntries: Rule = (rack) =>
  nodeLists(rack).flatMap(({ segments, lists }) => {
    const check = (key: 'packages' | 'files' | 'services', field: 'name' | 'path', noun: string) =>
      duplicates(
        entries<Record<string, unknown>>(lists[key]),
        ({ item }) => (typeof item[field] === 'string' ? (item[field] as string) : undefined),
        ({ index }) => [...segments, key, index, field],
        ({ index }, first, value) => ({
          message: `${humanPath([...segments, key, index, field])} "${value}" is listed twice (first at ${humanPath([...segments, key, first.index])})`,
          hint: `Keep one entry per ${noun}.`,
        }),
      );
    return [...check('packages', 'name', 'package'), ...check('files', 'path', 'file path'), ...check('services', 'name', 'unit')];
  });

/**
 * Managed files are placed by absolute, normalised path: `/etc/x/../y` or `/etc//y` would name a
 * file other than the one the plan and the probe compare, and would never converge.
 */
export const absoluteFilePaths: Rule = (rack) =>
  nodeLists(rack).flatMap(({ segments, lists }) =>
    entries<RawFile>(lists.files).flatMap(({ item, index }): UnplacedProblem[] => {
      if (typeof item.path !== 'string') return [];
      const at = [...segments, 'files', index, 'path'];
      if (!item.path.startsWith('/')) {
        return [
          {
            segments: at,
            message: `${humanPath(at)} "${item.path}" is not an absolute path`,
            hint: `Files are placed on the Pi by absolute path, e.g. /${item.path.replace(/^\.?\/*/, '')}.`,
          },
        ];
      }
      const normal = posix.normalize(item.path).replace(/(.)\/+$/, '$1');
      if (normal === item.path && normal !== '/') return [];
      return [
        {
          segments: at,
          message: `${humanPath(at)} ${JSON.stringify(item.path.length > 60 ? `${item.path.slice(0, 57)}...` : item.path)} is not a normalised path to a file`,
          hint: normal === '/' ? 'Name a file, not the root directory.' : `Write ${normal} (no //, /./, /../ or trailing /).`,
        },
      ];
    }),
  );

/**
 * restartOnChangeOf must name managed files, or the restart would never fire. Checked for the
 * defaults and for every Pi whose overrides replace its files or services.
 */
export const restartTargetsManaged: Rule = (rack) => {
  const defaults = rack?.defaults ?? {};
  const out: UnplacedProblem[] = [];
  const check = (servicesAt: Seg, services: unknown, files: unknown, filesAt: string) => {
    const managed = new Set(entries<RawFile>(files).map(({ item }) => item.path));
    for (const { item, index } of entries<{ restartOnChangeOf?: unknown; name?: unknown }>(services)) {
      if (!Array.isArray(item.restartOnChangeOf)) continue;
      item.restartOnChangeOf.forEach((p: unknown, j: number) => {
        if (typeof p === 'string' && !managed.has(p)) {
          const segments = [...servicesAt, index, 'restartOnChangeOf', j];
          out.push({
            segments,
            message: `${humanPath(segments)} "${p}" is not a managed file (not in ${filesAt})`,
            hint: `Add ${p} to ${filesAt}, or remove it from restartOnChangeOf.`,
          });
        }
      });
    }
  };
  check(['defaults', 'services'], defaults.services, defaults.files, 'defaults.files');
  for (const r of pisOf(rack)) {
    const o = r.pi.overrides;
    if (!o || typeof o !== 'object' || (o.services === undefined && o.files === undefined)) continue;
    const servicesAt: Seg = o.services !== undefined ? [...piPath(r), 'overrides', 'services'] : ['defaults', 'services'];
    // Only report what the override introduced; the defaults were checked above.
    if (o.services === undefined && !Array.isArray(defaults.services)) continue;
    const before = out.length;
    check(
      servicesAt,
      o.services ?? defaults.services,
      o.files ?? defaults.files,
      o.files !== undefined ? `${humanPath([...piPath(r), 'overrides', 'files'])}` : 'defaults.files',
    );
    if (o.services === undefined) {
      // A default service whose file this Pi's override dropped: say which Pi, since the default's line is shared.
      for (let k = before; k < out.length; k++) {
        const p = out[k]!;
        out[k] = { ...p, segments: [...piPath(r), 'overrides', 'files'], message: `Pi ${String(r.pi.id)}: ${p.message}` };
      }
    }
  }
  return out;
};

/**
 * The daemon's own key goes into the authorized_keys of `authorizedKeys.user`; if that is not
 * the user it logs in as, it never logs in by key and lives on the bootstrap password (or is shut
 * out once that changes). One user for both, whatever the login user is.
 */
export const keysOfLoginUser: Rule = (rack) => {
  const login = typeof rack?.ssh?.user === 'string' ? rack.ssh.user : 'root';
  return nodeLists(rack).flatMap(({ segments, lists }): UnplacedProblem[] => {
    const user = lists.authorizedKeys?.user;
    if (typeof user !== 'string' || user === login) return [];
    const at = [...segments, 'authorizedKeys', 'user'];
    return [
      {
        segments: at,
        message: `${humanPath(at)} "${user}" is not the login user ssh.user "${login}": the daemon's own key would go to ${user}'s authorized_keys and it could not log in by key`,
        hint: `Set it to "${login}" or leave it out (it defaults to ssh.user).`,
      },
    ];
  });
};

/** In the order a person reads the file. */
export const RULES: readonly Rule[] = [
  networkAddresses,
  aptProxyAddress,
  gridPlacement,
  relayPinRequired,
  duplicateRelayPins,
  duplicateStackIds,
  duplicatePiIds,
  duplicateIps,
  duplicateMacs,
  duplicateHostnames,
  piAddresses,
  duplicateListEntries,
  absoluteFilePaths,
  restartTargetsManaged,
  keysOfLoginUser,
  durationBounds,
  webhookUrls,
  corsWildcardWithCookies,
];

export function checkSemantics(rack: RawRack): UnplacedProblem[] {
  const out: UnplacedProblem[] = [];
  for (const rule of RULES) {
    try {
      out.push(...rule(rack));
    } catch {
      // The input has a shape the schema already reported; this rule has nothing to add.
    }
  }
  return out;
}
