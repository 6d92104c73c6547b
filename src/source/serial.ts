/**
 * Runs an async check one at a time; requests that arrive while one runs collapse into a single
 * rerun afterwards, so a burst of watch events costs at most two reads.
 */
export function serialize(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  const loop = async (): Promise<void> => {
    do {
      again = false;
      await fn();
    } while (again);
  };
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = loop().finally(() => {
      running = undefined;
    });
    return running;
  };
}
