// One drain of the outbox by the relay that holds the lock, pipelined: the next rows are read and
// published while earlier ones still wait for their broker confirms. Group commits feed it the
// rows they read right after their COMMIT (RelayLink), so most events need no read of the relay's
// own. Confirmed rows are handed back to RelayLink, for a large group commit to delete in its own
// transaction; what none takes within `deleteAfterMs` (OUTBOX_DELETE_MS) the relay deletes, all
// of it in one statement of its own (with OUTBOX_DELETE_MS=0 every group commit takes them, and
// the relay waits DELETE_AFTER_MS). Rows go out in id order; a row published and not yet deleted
// is never read again by this worker (a failed delete leaves it for later, and another worker's relay may republish it
// after a crash: a duplicate).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'mysql2';
import type { Publisher } from '../../app/ports.ts';
import { deleteOutbox, selectOutbox } from './batch-sql.ts';
import { OUTBOX_READ, type OutboxRecord, type RelayLink } from './relay-link.ts';
import { acquire, type RawConnection } from './raw.ts';

/** Reads published and not yet confirmed at once. */
const MAX_PUBLISHING = 4;
/** By default, how long confirmed rows wait for a group commit to delete them before the relay does. */
const DELETE_AFTER_MS = 5;
/** How long an idle relay keeps the lock, waiting for the next commit, before it lets go. */
const LINGER_MS = 50;
/** How often an idle relay that keeps the lock reads the outbox meanwhile. */
const LINGER_READ_MS = 10;
/** How long the relay waits for a group commit's read of the outbox before it reads itself. */
const FEED_WAIT_MS = 100;
/** How long a relay letting go waits for its published rows to be deleted (else they may go out twice). */
const LET_GO_WAIT_MS = 2000;

export interface PumpControl {
  /** True when a commit asked for a drain since the flag was last taken (and clears it). */
  takeKick(): boolean;
  /** Resolves at the next kick (a commit happened). */
  nextKick(): Promise<void>;
  stopped(): boolean;
  /** How long confirmed rows wait before the relay deletes them itself (DELETE_AFTER_MS if unset). */
  deleteAfterMs?: number;
  onPublished?: (count: number, oldestAgeMs: number) => void;
}

/** Publishes until the outbox stays empty for LINGER_MS; rejects on the first failure. */
export async function pumpOutbox(conn: RawConnection, pool: Pool, publisher: Publisher, link: RelayLink, control: PumpControl): Promise<void> {
  // Ids being published (not confirmed yet): the next reads skip them, and those in `link`.
  const publishingIds = new Set<number>();
  const publishing = new Set<Promise<void>>();
  let deleting: Promise<void> | null = null;
  let fallback: NodeJS.Timeout | null = null;
  // The first failure of a publish or delete (assigned in callbacks; checked by the loop).
  const failed: { failure: { err: unknown } | null } = { failure: null };

  /** Deletes the confirmed rows no group commit took, on a connection of its own. */
  const deleteWaiting = (): void => {
    if (deleting || link.waiting() === 0) return;
    const ids = link.take(OUTBOX_READ);
    deleting = deleteRows(pool, ids)
      .then(
        () => link.settle(ids, true),
        (err: unknown) => {
          link.settle(ids, false);
          failed.failure ??= { err };
        },
      )
      .finally(() => (deleting = null));
  };

  const publish = (rows: OutboxRecord[]): void => {
    const ids = rows.map((r) => r.id);
    for (const id of ids) publishingIds.add(id);
    const done: Promise<void> = publisher
      .publish(rows)
      .then(
        () => {
          link.add(ids);
          control.onPublished?.(rows.length, Date.now() - Date.parse(rows[0]!.tm_create.replace(' ', 'T') + 'Z'));
          fallback ??= setTimeout(() => {
            fallback = null;
            deleteWaiting();
          }, control.deleteAfterMs ?? DELETE_AFTER_MS);
        },
        (err: unknown) => void (failed.failure ??= { err }),
      )
      .finally(() => {
        for (const id of ids) publishingIds.delete(id);
        publishing.delete(done);
      });
    publishing.add(done);
  };

  const skip = () => [...publishingIds, ...link.ids()];
  // A read may bring back rows another read published meanwhile (and even deleted since its
  // snapshot): those are left out.
  const fresh = (rows: OutboxRecord[]) => rows.map(record).filter((r) => !publishingIds.has(r.id) && !link.has(r.id));
  /**
   * Reads the outbox and publishes what is new; false when nothing was. `forUnfed`: the read is
   * for a commit that fed the relay nothing, so a group commit's read that began before that
   * commit does not stand in for it.
   */
  const readAndPublish = async (forUnfed: boolean): Promise<boolean> => {
    let own = link.startRead();
    if (!own) {
      // A group commit's read is under way (one at a time): its rows are published when it
      // lands, and it stands in for this read, unless this one is for an unfed commit: then it
      // reads next. One held up (a commit waiting on a lock or a slow disk) holds the relay up
      // no longer than FEED_WAIT_MS: then it reads alongside (what both bring is published once).
      const landed = await Promise.race([link.readEnded().then(() => true), sleep(FEED_WAIT_MS).then(() => false)]);
      if (landed && !forUnfed) return false;
      own = landed && link.startRead();
    }
    let rows: OutboxRecord[] = [];
    let complete = false;
    try {
      const read = await readRows(conn, skip());
      rows = fresh(read);
      complete = read.length < OUTBOX_READ;
    } finally {
      // Its rows are published right below, before anything else runs.
      if (own) link.endRead(complete);
    }
    if (rows.length > 0) publish(rows);
    return rows.length > 0;
  };
  // When this relay reads the outbox itself: first, again after a read that brought rows (more
  // may wait), after a commit that fed it nothing (link.takeUnfed, checked once more before it
  // lets go) and on each lingering tick. A kick of a commit that fed it its rows costs no read.
  let readNow = true;
  // Rows a group commit read after its COMMIT: published at once.
  link.attach({
    skip,
    offer: (rows) => {
      if (failed.failure) return false;
      const news = fresh(rows);
      if (news.length > 0) publish(news);
      if (rows.length >= OUTBOX_READ) readNow = true;
      return true;
    },
  });
  let idleSince: number | null = null;
  try {
    for (;;) {
      if (failed.failure) throw failed.failure.err;
      const unfed = link.takeUnfed();
      if (readNow || unfed) {
        readNow = false;
        if (await readAndPublish(unfed)) {
          idleSince = null;
          readNow = true;
          if (publishing.size >= MAX_PUBLISHING) await Promise.race(publishing);
          continue;
        }
      }
      // Nothing new: wait for what is being published, or for a commit that may have added rows.
      if (publishing.size > 0) {
        await Promise.race([Promise.all(publishing), control.nextKick()]);
        continue;
      }
      if (control.takeKick()) {
        idleSince = null;
        continue;
      }
      if (link.takeUnfed()) {
        readNow = true;
        continue;
      }
      if (control.stopped()) return;
      // Idle: keep the lock a little, reading every LINGER_READ_MS (other workers' commits do not
      // kick this relay), then let go.
      idleSince ??= Date.now();
      if (Date.now() - idleSince >= LINGER_MS) return;
      const kicked = await Promise.race([control.nextKick().then(() => true), sleep(LINGER_READ_MS).then(() => false)]);
      if (kicked) idleSince = null;
      else readNow = true;
    }
  } finally {
    link.detach();
    if (fallback) clearTimeout(fallback);
    await Promise.all(publishing);
    // Delete what is left before the lock goes, so that no other relay republishes it: also what
    // a group commit took and then gave back when it failed (a cached batch whose row another
    // worker moved on fails that way, no fault needed).
    const until = Date.now() + LET_GO_WAIT_MS;
    for (;;) {
      deleteWaiting();
      while (deleting) await deleting;
      if ((link.waiting() === 0 && link.taken() === 0) || Date.now() >= until) break;
      await sleep(5);
    }
  }
}

async function readRows(conn: RawConnection, skip: number[]): Promise<OutboxRecord[]> {
  return (await conn.query(selectOutbox(skip, OUTBOX_READ))) as OutboxRecord[];
}

/** Numbers as numbers (BIGINT columns may come back as strings). */
function record(row: OutboxRecord): OutboxRecord {
  return { ...row, id: Number(row.id), seq: Number(row.seq) };
}

async function deleteRows(pool: Pool, ids: number[]): Promise<void> {
  const conn = await acquire(pool);
  let broken = true;
  try {
    await conn.query(deleteOutbox(ids));
    broken = false;
  } finally {
    conn.release(broken);
  }
}
