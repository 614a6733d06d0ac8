// What a worker's group commits share with its outbox relay.
// - Deletes: outbox rows that were published and confirmed wait here to be deleted: by the next
//   large group commit inside its own transaction (no commit of their own; with
//   OUTBOX_DELETE_MS=0 by any group commit), or, when none comes within OUTBOX_DELETE_MS, by the
//   relay, all of them in one statement (outbox-pump.ts). A small commit, which a caller waits
//   for, leaves them: the statement would lengthen it. Until a row is deleted for sure its id
//   stays here, and the relay's reads skip it (no republishing).
// - Unfed commits: a commit that wrote events and read none for the relay (a read was under way,
//   or it is not a group commit) says so here; the relay reads the outbox on its next kick only
//   then, so the kicks of fed commits cost no read.
// - Feed: while the relay holds the lock, a group commit reads the outbox right after its COMMIT,
//   in the same round trip, and hands the rows to the relay, which publishes them without a
//   read of its own. One read of the outbox at a time (the relay's own or a feed): each leaves
//   out the rows earlier reads brought, so a row's body crosses the wire once, not once per
//   concurrent batch. The relay skips rows it already has in flight, whichever read brought them.
// - Direct: a group commit from the state cache on a server that tells it its outbox rows' ids
//   (connect.ts outboxIdsOf) hands its own rows to the relay from memory, with no read at all,
//   while `directOk`: the relay holds the lock and nothing committed earlier may still wait
//   outside its hands (every unfed commit, and whatever was there when it attached, was brought
//   by a complete read that began after it).
//   Its activeflows' earlier events are all this worker's (their rows' versions say so), so they
//   went to the relay first: one activeflow's events keep their order.
// - Tenures: a feed or a direct hand-over goes only to the hold of the lock it began under. One
//   whose round trip outlasted that hold (the relay let go, another worker's relay may have
//   published the rows meanwhile, and this relay took the lock again) hands nothing over: its
//   rows wait in the outbox for a read, which the next hold makes.
import type { OutgoingEvent } from '../../app/ports.ts';

/** Rows per read of the outbox (also the read a group commit appends for the relay). */
export const OUTBOX_READ = 500;

/** An outbox row as read for publishing. */
export interface OutboxRecord extends OutgoingEvent {
  id: number;
  tm_create: string;
}

/** The relay's side of the feed, attached while it holds the lock. */
export interface FeedHandler {
  /** Ids a read should leave out (in flight or waiting to be deleted). */
  skip(): number[];
  /** Publishes the rows; false when they were dropped (the relay is failing). */
  offer(rows: OutboxRecord[]): boolean;
}

export interface RelayLink {
  /** The relay holds the lock and takes rows from group commits (until `detach`). */
  attach(handler: FeedHandler): void;
  detach(): void;
  /**
   * Starts a read after COMMIT: the ids to leave out, or null (no read) when no relay takes rows
   * now or another read is under way. Each start is ended by `offer`.
   */
  feedSkip(): number[] | null;
  /** Ends it: the rows read right after the COMMIT, or null if it failed (rows are dropped when the relay let go of the lock meanwhile). */
  offer(rows: OutboxRecord[] | null): void;
  /** Whether a commit may hand its own rows to the relay without a read (see Direct above). */
  directOk(): boolean;
  /** The relay's current hold of the lock (a count of attaches), to pass to `offerDirect`. */
  tenure(): number;
  /** A commit's own rows, as `directOk` allowed under `tenure` before the commit was sent. */
  offerDirect(rows: OutboxRecord[], tenure: number): void;
  /** Starts the relay's own read; false while another read is under way. Ended by `endRead`. */
  startRead(): boolean;
  /** `complete`: it succeeded, its rows went to the relay, and it brought fewer than the limit. */
  endRead(complete: boolean): void;
  /** Resolves once no read is under way. */
  readEnded(): Promise<void>;
  /** A commit wrote events without reading them for the relay: its next kick must read. */
  markUnfed(): void;
  /** Whether a commit fed the relay nothing since the last call (and clears it). */
  takeUnfed(): boolean;
  /** Confirmed ids: to be deleted. */
  add(ids: number[]): void;
  /** Up to `max` ids for a transaction to delete; it must then call `settle`. */
  take(max: number): number[];
  /** The transaction that took `ids` committed (`deleted`) or failed (they wait again). */
  settle(ids: number[], deleted: boolean): void;
  /**
   * Whether the relay has published this id: waiting or taken for deletion, or deleted within the
   * last RECENT_MS (a read that began before that delete may still bring the row back).
   */
  has(id: number): boolean;
  ids(): number[];
  /** Ids waiting and not taken. */
  waiting(): number;
  /** Ids taken by transactions that have not settled yet. */
  taken(): number;
}

/** How long a deleted id is still known as published (longer than any read takes). */
const RECENT_MS = 2000;

export function createRelayLink(now: () => number = Date.now): RelayLink {
  const pending = new Set<number>();
  const inTransaction = new Set<number>();
  // Deleted ids with the time of their delete, oldest first (a Map keeps insertion order).
  const recent = new Map<number, number>();
  let handler: FeedHandler | null = null;
  // One read of the outbox at a time, a feed or the relay's own.
  let reading = false;
  let unfed = false;
  // Attaches so far, and the one the feed under way began under.
  let tenure = 0;
  let feedTenure = 0;
  const readWaiters: (() => void)[] = [];
  // Direct hand-overs: `dirty` while rows may wait outside the relay's hands. Each event that
  // may leave some there takes the next epoch; a complete read that began at or after that
  // epoch clears it.
  let dirty = true;
  let epoch = 0;
  let dirtyEpoch = 0;
  let readEpoch = 0;
  const makeDirty = () => {
    dirty = true;
    dirtyEpoch = ++epoch;
  };
  const startReading = () => {
    reading = true;
    readEpoch = epoch;
  };
  const endRead = (complete: boolean) => {
    reading = false;
    // A read that failed or stopped at the limit may have left rows (a commit's own) behind.
    if (!complete) makeDirty();
    else if (readEpoch >= dirtyEpoch) dirty = false;
    for (const resolve of readWaiters.splice(0)) resolve();
  };
  const markUnfed = () => {
    unfed = true;
    makeDirty();
  };
  return {
    attach(h) {
      handler = h;
      tenure++;
      makeDirty();
    },
    detach: () => void (handler = null),
    feedSkip() {
      if (!handler || reading) return null;
      startReading();
      feedTenure = tenure;
      return handler.skip();
    },
    offer(rows) {
      let complete = false;
      try {
        // Handed over before the read ends, so the next read leaves these rows out.
        const taken = rows !== null && handler !== null && feedTenure === tenure && handler.offer(rows);
        if (taken) complete = rows.length < OUTBOX_READ;
        else if (rows && rows.length > 0) markUnfed();
      } finally {
        endRead(complete);
      }
    },
    directOk: () => handler !== null && !dirty,
    tenure: () => tenure,
    offerDirect(rows, at) {
      // Not taken (the relay let go meanwhile, maybe took the lock again, or is failing): they
      // wait in the outbox for a read.
      if (at !== tenure || !handler?.offer(rows)) markUnfed();
    },
    startRead() {
      if (reading) return false;
      startReading();
      return true;
    },
    endRead,
    readEnded: () => (reading ? new Promise<void>((resolve) => readWaiters.push(resolve)) : Promise.resolve()),
    markUnfed,
    takeUnfed() {
      const was = unfed;
      unfed = false;
      return was;
    },
    add(ids) {
      for (const id of ids) pending.add(id);
    },
    take(max) {
      const ids: number[] = [];
      for (const id of pending) {
        if (ids.length >= max) break;
        ids.push(id);
      }
      for (const id of ids) {
        pending.delete(id);
        inTransaction.add(id);
      }
      return ids.sort((a, b) => a - b);
    },
    settle(ids, deleted) {
      const at = now();
      for (const id of ids) {
        inTransaction.delete(id);
        if (!deleted) pending.add(id);
        else recent.set(id, at);
      }
      for (const [id, when] of recent) {
        if (at - when < RECENT_MS) break;
        recent.delete(id);
      }
    },
    has: (id) => pending.has(id) || inTransaction.has(id) || recent.has(id),
    ids: () => [...pending, ...inTransaction],
    waiting: () => pending.size,
    taken: () => inTransaction.size,
  };
}
