// InnoDB's background state around the bench's runs: waiting for it to settle before a run, and
// how full the redo log got during one.
import type { Connection } from 'mysql2/promise';

/** Longest wait for InnoDB to settle. */
const SETTLE_MAX_S = 180;
/** How often a run's checkpoint age is sampled. */
const SAMPLE_MS = 250;

async function status(sql: Connection, names: string[]): Promise<(name: string) => number> {
  const [rows] = (await sql.query('SHOW GLOBAL STATUS WHERE Variable_name IN (?)', [names])) as unknown as [{ Variable_name: string; Value: string }[]];
  return (name) => Number(rows.find((r) => r.Variable_name === name)?.Value ?? 0);
}

/**
 * Waits until InnoDB has written back the dirty pages and purged the history that a prefill or
 * the run before left, and its checkpoint has caught up (age under a tenth of the most it may
 * be), at most SETTLE_MAX_S, so that a measured run neither shares the box with that background
 * work nor starts with a redo log another run nearly filled. Meanwhile the page cleaner is told
 * to flush eagerly (innodb_max_dirty_pages_pct_lwm, which MariaDB's manual gives for this): left
 * alone, an idle server kept ~1,000-2,000 pages dirty for the whole 180 s. The setting is put
 * back as it was. Returns the seconds it waited.
 */
export async function settle(sql: Connection): Promise<number> {
  const t0 = performance.now();
  const [[{ lwm }]] = (await sql.query('SELECT @@GLOBAL.innodb_max_dirty_pages_pct_lwm AS lwm')) as any;
  const eager = await sql.query('SET GLOBAL innodb_max_dirty_pages_pct_lwm = 0.001').then(
    () => true,
    (err: unknown) => (console.log(`settle: cannot make the page cleaner eager (${(err as Error).message}); waiting for it`), false),
  );
  try {
    for (;;) {
      const value = await status(sql, ['Innodb_buffer_pool_pages_dirty', 'Innodb_history_list_length', 'Innodb_checkpoint_age', 'Innodb_checkpoint_max_age']);
      const waited = (performance.now() - t0) / 1000;
      // MySQL has no such status (both read 0): nothing to wait for there.
      const maxAge = value('Innodb_checkpoint_max_age');
      const caughtUp = maxAge === 0 || value('Innodb_checkpoint_age') < maxAge / 10;
      if ((value('Innodb_buffer_pool_pages_dirty') < 500 && value('Innodb_history_list_length') < 1000 && caughtUp) || waited >= SETTLE_MAX_S) return waited;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    if (eager) await sql.query('SET GLOBAL innodb_max_dirty_pages_pct_lwm = ?', [Number(lwm)]);
  }
}

/**
 * Samples the checkpoint age (redo written since the last checkpoint) from `start` to `stop`,
 * which returns its peak as a percentage of the most it may be. Near 100 % InnoDB flushes pages
 * furiously and then makes writers wait for the checkpoint: a worker that writes more redo per
 * transition gets there sooner.
 */
export function checkpointSampler(sql: Connection): { start(): void; stop(): Promise<number> } {
  let peak = 0;
  let timer: NodeJS.Timeout | null = null;
  let sampling: Promise<void> = Promise.resolve();
  const sample = async () => {
    const value = await status(sql, ['Innodb_checkpoint_age', 'Innodb_checkpoint_max_age']);
    const max = value('Innodb_checkpoint_max_age');
    if (max > 0) peak = Math.max(peak, (100 * value('Innodb_checkpoint_age')) / max);
  };
  return {
    start() {
      peak = 0;
      // One sample at a time; a failed one is skipped.
      timer = setInterval(() => (sampling = sampling.then(sample).catch(() => undefined)), SAMPLE_MS);
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await sampling;
      return peak;
    },
  };
}
