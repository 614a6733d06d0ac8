// Outbox rows that were published and confirmed wait here to be deleted. The next group commit
// of this worker deletes them inside its own transaction, so they cost no commit (and no log
// flush) of their own; when no group commit comes soon, the relay deletes them itself. Until a
// row is deleted for sure its id stays here, and the relay's reads skip it (no republishing).

export interface OutboxDeletes {
  /** Confirmed ids: to be deleted. */
  add(ids: number[]): void;
  /** Up to `max` ids for a transaction to delete; it must then call `settle`. */
  take(max: number): number[];
  /** The transaction that took `ids` committed (`deleted`) or failed (they wait again). */
  settle(ids: number[], deleted: boolean): void;
  /** Every id published and not yet known deleted (waiting or taken). */
  has(id: number): boolean;
  ids(): number[];
  /** Ids waiting and not taken. */
  waiting(): number;
  /** Ids taken by transactions that have not settled yet. */
  taken(): number;
}

export function createOutboxDeletes(): OutboxDeletes {
  const pending = new Set<number>();
  const inTransaction = new Set<number>();
  return {
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
      for (const id of ids) {
        inTransaction.delete(id);
        if (!deleted) pending.add(id);
      }
    },
    has: (id) => pending.has(id) || inTransaction.has(id),
    ids: () => [...pending, ...inTransaction],
    waiting: () => pending.size,
    taken: () => inTransaction.size,
  };
}
