/**
 * Cuts a byte stream into lines with a length cap, for both ends of the watch stream. A line over
 * the cap is dropped whole (its bytes are skipped up to the next newline, never buffered), and
 * reported once through `onOversized`, so a peer that never sends a newline cannot fill memory.
 * Bundled into the slave: no imports beyond node's.
 */
export class LineSplitter {
  #parts: Buffer[] = [];
  #bytes = 0;
  #skipping = false;

  constructor(
    readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOversized: (bytesSeen: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (!this.#skipping) {
        if (this.#bytes + piece.length > this.maxBytes) {
          this.#skipping = true;
          this.#bytes += piece.length;
          this.#parts = [];
        } else {
          this.#parts.push(piece);
          this.#bytes += piece.length;
        }
      } else {
        this.#bytes += piece.length;
      }
      if (nl === -1) return;
      this.#finishLine();
      start = nl + 1;
    }
  }

  /** The stream ended: a last line without newline still counts. */
  end(): void {
    if (this.#bytes > 0 || this.#skipping) this.#finishLine();
  }

  #finishLine(): void {
    if (this.#skipping) this.onOversized(this.#bytes);
    else {
      const line = Buffer.concat(this.#parts).toString('utf8').replace(/\r$/, '');
      if (line.trim() !== '') this.onLine(line);
    }
    this.#parts = [];
    this.#bytes = 0;
    this.#skipping = false;
  }
}
