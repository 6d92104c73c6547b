/**
 * Semantic rules of the owner-facing settings: hostnames unique across the rack, webhook URLs
 * that are http(s), and a CORS setting a browser would refuse anyway (`*` with cookies). Pure,
 * like semantic.ts, which lists them in its RULES.
 */
import type { RawRack } from './raw.ts';
import type { UnplacedProblem } from './problem.ts';
import { humanPath } from './problem.ts';

type Seg = (string | number)[];

export function duplicateHostnames(rack: RawRack): UnplacedProblem[] {
  const seen = new Map<string, { at: Seg; id: unknown }>();
  const out: UnplacedProblem[] = [];
  (Array.isArray(rack?.stacks) ? rack.stacks : []).forEach((stack, si) => {
    (Array.isArray(stack?.pis) ? stack.pis : []).forEach((pi, pj) => {
      if (typeof pi?.hostname !== 'string') return;
      const at: Seg = ['stacks', si, 'pis', pj, 'hostname'];
      const first = seen.get(pi.hostname);
      if (!first) seen.set(pi.hostname, { at, id: pi.id });
      else
        out.push({
          segments: at,
          message: `${humanPath(at)} "${pi.hostname}" is already the hostname of Pi ${String(first.id)} (${humanPath(first.at)})`,
          hint: 'Two Pis with one name answer for each other in /etc/hosts and mDNS; give every Pi its own hostname.',
        });
    });
  });
  return out;
}

export function webhookUrls(rack: RawRack): UnplacedProblem[] {
  const out: UnplacedProblem[] = [];
  for (const [name, hook] of Object.entries(rack?.alerts?.webhooks ?? {})) {
    if (typeof hook?.url !== 'string') continue;
    const at: Seg = ['alerts', 'webhooks', name, 'url'];
    let protocol: string | undefined;
    try {
      protocol = new URL(hook.url).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol === 'http:' || protocol === 'https:') continue;
    out.push({
      segments: at,
      message: `${humanPath(at)} "${hook.url.slice(0, 200)}" is not an http:// or https:// URL${protocol ? ` (scheme ${protocol})` : ''}`,
      hint: 'Webhooks are delivered as an HTTP POST; write the receiver as http://host:port/path or https://…',
    });
  }
  return out;
}

export function corsWildcardWithCookies(rack: RawRack): UnplacedProblem[] {
  const cors = rack?.http?.cors;
  if (!cors || cors.credentials !== true || !Array.isArray(cors.origins) || !cors.origins.includes('*')) return [];
  const at: Seg = ['http', 'cors', 'origins'];
  return [
    {
      segments: at,
      message: `${humanPath(at)} holds "*" while http.cors.credentials is true: any web site could then act with a logged-in browser's cookie`,
      hint: 'List the client origins one by one (e.g. http://client.example:8000), or drop credentials and call the API with the bearer token.',
    },
  ];
}
