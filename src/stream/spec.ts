/** A Pi's watch spec from its desired state: pure, so a revision change is a plain comparison. */
import type { NodeSpec } from '../model/desired.ts';
import type { WatchSpec } from '../slave/protocol.ts';

export function watchSpecOf(node: NodeSpec, revision: string): WatchSpec {
  return {
    revision,
    files: node.files.map((f) => f.path),
    authorizedKeysUser: node.authorizedKeys.user,
    packages: node.packages.map((p) => p.name),
    units: node.services.map((s) => s.name),
  };
}

/** Whether two specs ask for the same watches (the revision alone does not matter). */
export function sameWatches(a: WatchSpec, b: WatchSpec): boolean {
  const key = (s: WatchSpec): string =>
    JSON.stringify([[...s.files].sort(), s.authorizedKeysUser ?? null, [...s.packages].sort(), [...s.units].sort()]);
  return key(a) === key(b);
}
