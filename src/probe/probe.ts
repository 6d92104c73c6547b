/**
 * One SSH round trip per Pi per pass: every controller's probe fragment is joined into one script
 * whose output is cut into sections by marker lines. A missing section or end marker means the
 * Pi answered with something we cannot trust, and the whole observation is rejected.
 */
import { pirackError } from '../errors.ts';
import type { NodeSpec } from '../model/desired.ts';
import type { NodeFacts } from '../model/observed.ts';
import type { FactsKey, NodeController } from '../reconcile/controller.ts';
import { parseSystemFacts, systemProbeScript } from './system.ts';

const MARK = '@@pirack:';
const END = 'end';

export function buildProbeScript(node: NodeSpec, controllers: readonly NodeController[]): string {
  const parts = [`printf '\\n${MARK}system\\n'`, systemProbeScript];
  for (const controller of controllers) {
    parts.push(`printf '\\n${MARK}${controller.observe.facts}\\n'`, controller.observe.script(node));
  }
  parts.push(`printf '\\n${MARK}${END}\\n'`);
  // A subshell per fragment would hide one failing fragment; `set +e` lets every fragment run.
  return ['set +e', 'export LC_ALL=C', ...parts].join('\n');
}

/**
 * Cuts the output at marker lines. A section name seen twice means some fragment's output
 * imitated a marker; it is kept under `duplicates` so the caller rejects the whole observation.
 */
export function splitSections(output: string): Map<string, string> & { duplicates?: string[] } {
  const sections: Map<string, string> & { duplicates?: string[] } = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  for (const line of output.split('\n')) {
    if (line.startsWith(MARK)) {
      if (current !== undefined) {
        if (sections.has(current)) (sections.duplicates ??= []).push(current);
        sections.set(current, lines.join('\n'));
      }
      current = line.slice(MARK.length).trim();
      lines = [];
    } else if (current !== undefined) {
      lines.push(line);
    }
  }
  if (current !== undefined) {
    if (sections.has(current)) (sections.duplicates ??= []).push(current);
    sections.set(current, lines.join('\n'));
  }
  return sections;
}

export function parseProbe(output: string, node: NodeSpec, controllers: readonly NodeController[]): NodeFacts {
  const where = `pi ${node.id}`;
  const sections = splitSections(output);
  const expected = ['system', ...controllers.map((c) => c.observe.facts), END];
  const missing = expected.filter((name) => !sections.has(name));
  if (missing.length > 0) {
    const sample = JSON.stringify(output.slice(0, 120));
    throw pirackError('PIRACK_ERR_PROBE_GARBAGE', `probe output lacks section(s) ${missing.join(', ')}; began with ${sample}`, { where });
  }
  if (sections.duplicates) {
    throw pirackError(
      'PIRACK_ERR_PROBE_GARBAGE',
      `probe output repeats section(s) ${[...new Set(sections.duplicates)].join(', ')}; some output imitated a section marker`,
      { where },
    );
  }
  const facts: Partial<Record<FactsKey, unknown>> = {};
  for (const controller of controllers) {
    facts[controller.observe.facts] = controller.observe.parse(sections.get(controller.observe.facts)!, node);
  }
  return { system: parseSystemFacts(sections.get('system')!, where), ...facts } as NodeFacts;
}
