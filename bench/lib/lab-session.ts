/**
 * Getting a lab for the bench without stepping on anyone: reuse one that is up with enough
 * running Pis and nobody testing on it, otherwise wait (bounded, polling at most every 30 s) for
 * someone else's lab to go away, then boot our own. The session remembers whether the bench
 * booted the lab, so it tears down only what it booted.
 */
import type { LabPort } from './lab-port.ts';

export interface LabNeed {
  readonly stacks: number;
  readonly perStack: number;
}

export interface LabSessionOptions {
  readonly port: LabPort;
  readonly progress: (line: string) => void;
  /** Other processes using the lab (e2e tests, a daemon, `lab` commands), described for people. */
  readonly othersUsingLab: () => Promise<readonly string[]>;
  readonly sleep: (ms: number) => Promise<void>;
  /** How long to wait for someone else's lab or tests before giving up. */
  readonly maxWaitMs: number;
  readonly pollMs: number;
}

export class LabSession {
  /** True once the bench has booted a lab it must tear down. */
  owned = false;
  reused = false;
  dir = '';
  rackYaml = '';
  private createdAt: string | undefined;

  constructor(private readonly options: LabSessionOptions) {}

  /** A lab with at least `need` Pis running, reused when possible. */
  async acquire(need: LabNeed): Promise<void> {
    const { port, progress } = this.options;
    const wanted = need.stacks * need.perStack;
    await this.waitWhileBusy();
    for (let waited = 0; ; waited += this.options.pollMs) {
      const status = await port.status();
      if (!status.up) break;
      if (this.owned) {
        // Ours from an earlier scenario: take it down ourselves.
        await this.release();
        break;
      }
      if (status.running.length >= wanted) {
        progress(`reusing the lab that is up in ${status.dir} (${status.running.length} Pis running); it is left up afterwards`);
        this.reused = true;
        this.dir = status.dir;
        this.rackYaml = port.rackYamlOf(status.dir);
        this.createdAt = status.createdAt;
        return;
      }
      if (waited >= this.options.maxWaitMs) {
        throw new Error(
          `a lab with ${status.running.length} running Pis is up in ${status.dir} (fewer than the ${wanted} needed) and stayed up ${Math.round(waited / 1000)} s; run \`pirack lab down\` once its owner is done`,
        );
      }
      progress(
        `a smaller lab (${status.running.length} Pis) is up, probably someone else's: waiting for it to go away (${Math.round(waited / 1000)} s so far)`,
      );
      await this.options.sleep(this.options.pollMs);
    }
    progress(`booting a lab of ${need.stacks} × ${need.perStack} Pis`);
    // Recorded before labUp returns: a half-booted lab is ours to tear down too.
    this.owned = true;
    this.reused = false;
    const up = await port.up(need.stacks, need.perStack, progress);
    this.dir = up.dir;
    this.rackYaml = up.rackYaml;
    this.createdAt = (await port.status()).createdAt;
  }

  /**
   * Whether the lab was taken down or re-created since the bench got it: other engineers' tests
   * share the one lab, and a failure then says so instead of blaming a contender.
   */
  async disturbed(): Promise<boolean> {
    if (this.createdAt === undefined) return false;
    const now = await this.options.port.status();
    return !now.up || now.createdAt !== this.createdAt;
  }

  /** A fresh lab (new overlays: blank Pis), only ever by tearing down one the bench booted. */
  async fresh(need: LabNeed): Promise<void> {
    if (this.reused) throw new Error("the lab was reused, not booted by the bench: it is not the bench's to restart");
    // Someone may have started testing on our lab meanwhile: never pull it from under them.
    await this.waitWhileBusy();
    if (this.owned) await this.release();
    await this.acquire(need);
  }

  /** Tears the lab down if the bench booted it; leaves a reused lab alone. */
  async release(): Promise<void> {
    if (!this.owned) return;
    this.options.progress('tearing down the lab the bench booted');
    await this.options.port.down(this.options.progress);
    this.owned = false;
  }

  private async waitWhileBusy(): Promise<void> {
    for (let waited = 0; ; waited += this.options.pollMs) {
      const others = await this.options.othersUsingLab();
      if (others.length === 0) return;
      if (waited >= this.options.maxWaitMs)
        throw new Error(`the lab is in use by ${others.join('; ')} for more than ${Math.round(waited / 1000)} s; try again later`);
      this.options.progress(`the lab is in use (${others[0]}${others.length > 1 ? ` and ${others.length - 1} more` : ''}): waiting`);
      await this.options.sleep(this.options.pollMs);
    }
  }
}
