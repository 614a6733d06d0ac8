// A job the worker runs on an interval (due timers, pruning): never two runs of it at once.

export interface Periodic {
  /** No new runs from now on. */
  stop(): void;
  /** A run is under way. */
  busy(): boolean;
}

/**
 * Runs `job` every `intervalMs`; a tick that finds the previous run still going is skipped. The
 * job reports its own failures (one that rejects anyway is ignored, and the next tick runs it).
 */
export function every(intervalMs: number, job: () => Promise<void>): Periodic {
  let running: Promise<void> | null = null;
  const interval = setInterval(() => {
    if (running) return;
    running = job()
      .catch(() => undefined)
      .finally(() => (running = null));
  }, intervalMs);
  return {
    stop: () => clearInterval(interval),
    busy: () => running !== null,
  };
}
