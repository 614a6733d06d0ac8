// Room for a running activeflow's row to grow in its place.
// Every transition appends to the document (executed_actions), so the row grows by a few hundred
// bytes per input. InnoDB puts a record that grew into its page's free space, and once that space
// is fragmented it first rebuilds the whole page (a page reorganization, written to the redo log
// as such): 0.76-0.79 of them per transition at 500/s, about a quarter of the redo a transition
// wrote (bench/RESULTS.md). So a running activeflow's row is padded, with spaces after its JSON
// document, until its variable-length columns fill a whole number of `bucket` bytes: an update
// that stays within the same multiple writes a record of the old one's size, which fits in the
// old one's place, and one that crosses into the next multiple leaves room for the next few: 0.02
// reorganizations per transition with 2 KiB buckets, 0.21 with 1 KiB. An ended row is not
// padded: it shrinks, which needs no new space.
// The padding never leaves the database: readers parse the JSON (whitespace after it is allowed)
// and event bodies taken from the row trim it (batch-sql.ts insertOutbox).
import type { ActiveflowRow } from './tables.ts';

/** What a DATETIME(6) that is set takes in the record (a NULL takes only its bit). */
const DATETIME6_BYTES = 8;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** The spaces to write after the row's `doc` (0 when `bucket` is 0 or the row has ended). */
export function docPadding(row: Pick<ActiveflowRow, 'status' | 'current_action_type' | 'doc' | 'variables' | 'wake_at'>, bucket: number): number {
  if (bucket <= 0 || row.status !== 'running') return 0;
  const others = bytes(row.status) + bytes(row.current_action_type) + bytes(row.variables) + (row.wake_at === null ? 0 : DATETIME6_BYTES);
  const used = others + bytes(row.doc);
  return Math.ceil(used / bucket) * bucket - used;
}
