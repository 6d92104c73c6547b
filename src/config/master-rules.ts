/**
 * Rules for rack.yaml `master:`, what the master offers the Pis. The schema fixes the shape of
 * master.aptProxy (http(s)://IPv4[:port]); here its address must be one the Pis reach without a
 * route out of the rack: the master's, or another inside network.subnet.
 */
import type { RawRack } from './raw.ts';
import type { UnplacedProblem } from './problem.ts';
import { humanPath } from './problem.ts';
import { inSubnet, ipToInt, parseSubnet } from './net.ts';

const AT = ['master', 'aptProxy'];
const URL_PARTS = /^https?:\/\/([^:/]+)(?::([0-9]+))?\/?$/;

export function aptProxyAddress(rack: RawRack): UnplacedProblem[] {
  const url = rack?.master?.aptProxy;
  const parts = typeof url === 'string' ? URL_PARTS.exec(url) : null;
  if (!parts) return []; // the schema reports a value of another shape
  const [, host, port] = parts;
  const net = rack?.network;
  const where = `${humanPath(AT)} "${url}"`;
  const example = `http://${typeof net?.master === 'string' ? net.master : '192.168.23.11'}:3142`;
  const out: UnplacedProblem[] = [];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    out.push({ segments: AT, message: `${where} has port ${port}, outside 1–65535`, hint: `apt-cacher-ng listens on 3142: ${example}.` });
  }
  const ip = ipToInt(host!);
  if (ip === undefined) {
    out.push({
      segments: AT,
      message: `${where}: "${host}" is not an IPv4 address in plain decimal (leading zeros read as octal)`,
      hint: `Write the address without leading zeros, e.g. ${example}.`,
    });
    return out;
  }
  const subnet = typeof net?.subnet === 'string' ? parseSubnet(net.subnet) : undefined;
  const master = typeof net?.master === 'string' ? ipToInt(net.master) : undefined;
  if (ip !== master && subnet !== undefined && !inSubnet(ip, subnet)) {
    out.push({
      segments: AT,
      message: `${where} is outside network.subnet ${String(net?.subnet)} and is not the master (${String(net?.master)})`,
      hint: `The Pis reach the proxy before anything else is set up on them: point it at the master (${example}, where \`pirack master install\` sets up apt-cacher-ng) or another host inside the rack's network.`,
    });
  }
  return out;
}
