/** dict_rasps.csv: the Pis the original's installer discovered, `id,mac,stack,ip` without a header. */
import { parse } from 'csv-parse/sync';
import ipaddr from 'ipaddr.js';
import type { ImportProblem } from './problem.ts';

/** One discovered Pi. */
export interface InventoryPi {
  readonly id: number;
  readonly mac: string;
  readonly stack: number;
  readonly ip: string;
  /** Line in the CSV, for messages. */
  readonly line: number;
}

export interface InventoryResult {
  readonly pis: InventoryPi[];
  readonly problems: ImportProblem[];
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function parseInventory(text: string, file: string): InventoryResult {
  const problems: ImportProblem[] = [];
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      comment: '#',
    }) as unknown as typeof records;
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    return {
      pis: [],
      problems: [
        {
          file,
          ...(line ? { line } : {}),
          message: `cannot read the CSV: ${(err as Error).message}`,
          hint: 'Each line must be id,mac,stack,ip.',
        },
      ],
    };
  }
  const pis: InventoryPi[] = [];
  const byMac = new Map<string, InventoryPi>();
  const byId = new Map<number, InventoryPi>();
  const byIp = new Map<string, InventoryPi>();
  for (const { record, info } of records) {
    const line = info.lines;
    if (record.length !== 4) {
      problems.push({
        file,
        line,
        message: `expected 4 fields (id,mac,stack,ip), found ${record.length}: ${record.join(',')}`,
        hint: 'Fix the line; dict_rasps.csv has no header.',
      });
      continue;
    }
    const [idText, macText, stackText, ip] = record as [string, string, string, string];
    const id = Number(idText);
    const stack = Number(stackText);
    const bad: string[] = [];
    if (!Number.isInteger(id) || id < 1) bad.push(`id "${idText}" is not a whole number ≥ 1`);
    if (!MAC.test(macText)) bad.push(`mac "${macText}" is not a MAC address like b8:27:eb:12:34:56`);
    if (!Number.isInteger(stack) || stack < 1) bad.push(`stack "${stackText}" is not a stack id`);
    if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) bad.push(`ip "${ip}" is not an IPv4 address`);
    if (bad.length > 0) {
      problems.push({ file, line, message: bad.join('; '), hint: 'Each line is id,mac,stack,ip.' });
      continue;
    }
    const pi: InventoryPi = { id, mac: macText.toLowerCase(), stack, ip, line };
    const sameMac = byMac.get(pi.mac);
    if (sameMac)
      problems.push({
        file,
        line,
        message: `MAC ${pi.mac} of Pi ${id} is also the MAC of Pi ${sameMac.id} (line ${sameMac.line})`,
        hint: 'One Pi per MAC: remove the stale line, or clear its MAC and let enlistment discover it again.',
      });
    const sameId = byId.get(id);
    if (sameId)
      problems.push({
        file,
        line,
        message: `Pi id ${id} is listed again (first on line ${sameId.line})`,
        hint: 'Give every Pi its own id.',
      });
    const sameIp = byIp.get(ip);
    if (sameIp)
      problems.push({
        file,
        line,
        message: `IP ${ip} of Pi ${id} is also the IP of Pi ${sameIp.id} (line ${sameIp.line})`,
        hint: 'Give every Pi its own fixed IP.',
      });
    if (!sameMac) byMac.set(pi.mac, pi);
    if (!sameId) byId.set(id, pi);
    if (!sameIp) byIp.set(ip, pi);
    pis.push(pi);
  }
  return { pis, problems };
}
