/** Where the daemon's desired state comes from: a watched file, or the committed file of a git branch. */

/** One version of rack.yaml, handed to the daemon to parse and validate. */
export interface DesiredRevision {
  /** Content hash (`sha256:…`) for files, the commit id for git. */
  readonly revision: string;
  readonly text: string;
  /** rack.yaml's path on disk, for messages and as the folder relative sources are read from. */
  readonly path: string;
  /**
   * Reads a file the rack.yaml refers to (`source:`) as of this revision; for git that is the
   * same commit, so uncommitted edits to those files are not applied either. Pass it to
   * parseRack's `readFile`.
   */
  readonly readFile?: (absPath: string) => string;
  /**
   * Folders `source:` files may come from (the repository or rack.yaml's folder, plus any the
   * master allows); kept with the last good revision so a restart reads with the same confinement.
   */
  readonly sourceRoots?: readonly string[];
  /**
   * Set when the source refused the revision before reading it (too large, not a regular file):
   * the daemon reports it as a rejected revision, and `text` is empty.
   */
  readonly refused?: string;
}

export interface DesiredSource {
  /** Reads the current revision (calling back if there is one), then watches. Resolves once watching. */
  start(onRevision: (r: DesiredRevision) => void): Promise<void>;
  /** Looks now, as a watch event would (the daemon's "reconcile now", tests). */
  check(): Promise<void>;
  /** Stops watching and timers; no callback after it resolves. */
  stop(): Promise<void>;
}

/** Failures reading the source (file vanished, git error): reported, the last good revision stays. */
export type SourceErrorHandler = (err: Error) => void;
