/**
 * Options shared by the commands that read rack.yaml and the state dir, with their defaults
 * spelled out once so every --help says the same.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadRack } from '../config/load.ts';
import type { RackSpec } from '../model/desired.ts';
import { resolveBuiltin } from '../slave/bundle.ts';

export const DEFAULT_STATE_DIR = '/var/lib/pirack';

export interface RackOptions {
  readonly rack: string;
  readonly stateDir: string;
  /** Folders outside rack.yaml's own (or the repository) that `source:` may read (--allow-source). */
  readonly allowSource: readonly string[];
}

/** The master's own allow-list for `source:`; a committed rack.yaml can never widen it. */
export const ALLOW_SOURCE_HELP =
  "a folder outside rack.yaml's folder (or the --git repository) that `source:` may read files from; repeat for more (default: none)";

export function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, resolve(value)];
}

export function addRackOptions(command: Command): Command {
  return command
    .option('--rack <file>', 'the desired state (env PIRACK_RACK)', process.env.PIRACK_RACK ?? 'rack.yaml')
    .option(
      '--state-dir <dir>',
      'pinned host keys, bindings, status.json, events (env PIRACK_STATE_DIR)',
      process.env.PIRACK_STATE_DIR ?? DEFAULT_STATE_DIR,
    )
    .option('--allow-source <dir>', ALLOW_SOURCE_HELP, collect, []);
}

/** Loads, validates and freezes rack.yaml; throws a PiRackError listing every problem. */
export function readRack(path: string, allowSource: readonly string[] = []): Promise<RackSpec> {
  return loadRack(resolve(path), { resolveBuiltin, allowedSourceDirs: allowSource });
}
