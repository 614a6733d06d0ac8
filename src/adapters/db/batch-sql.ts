// The SQL of a group commit, as plain text with `?` placeholders (mysql2 escapes the values,
// SqlText the JSON documents):
// the statements of a batch go to the server joined into one multi-statement round trip, so
// they skip the query builder and are written here once.
import { docPadding } from './row-padding.ts';
import { SqlFragment, SqlText } from './sql-text.ts';
import type { ActiveflowRow, OutboxRow } from './tables.ts';

/** One statement and its values. */
export interface Statement {
  text: string;
  values: unknown[];
}

/** Joins statements into one multi-statement query (the pool has `multipleStatements` on). */
export function joinStatements(statements: Statement[]): Statement {
  return { text: statements.map((s) => s.text).join(';\n'), values: statements.flatMap((s) => s.values) };
}

const ACTIVEFLOW_COLUMNS = [
  'id',
  'customer_id',
  'flow_id',
  'status',
  'reference_type',
  'reference_id',
  'current_action_type',
  'deleted',
  'wake_at',
  'seq',
  'doc',
  'variables',
  'tm_create',
  'tm_update',
] as const satisfies readonly (keyof ActiveflowRow)[];

/** The columns an update of an existing activeflow writes (the others never change). */
const ACTIVEFLOW_MUTABLE = ['status', 'current_action_type', 'deleted', 'wake_at', 'seq', 'doc', 'variables', 'tm_update'] as const;

/** The JSON documents: written by SqlText, the rest by mysql2's escaper. */
const isDocument = (column: string): column is 'doc' | 'variables' => column === 'doc' || column === 'variables';

/**
 * A document's value: its text, and for `doc` the spaces row-padding.ts asks for in `padBytes`
 * buckets, made by the server (SPACE) rather than sent.
 */
function documentValue(row: ActiveflowRow, column: 'doc' | 'variables', padBytes: number): SqlText | SqlFragment {
  const text = new SqlText(row[column]);
  const padding = column === 'doc' ? docPadding(row, padBytes) : 0;
  return padding > 0 ? new SqlFragment('CONCAT(?, SPACE(?))', [text, padding]) : text;
}

/** Nested arrays become `(a, b), (c, d)` lists. */
const tuples = (rows: ActiveflowRow[], padBytes: number) =>
  rows.map((row) => ACTIVEFLOW_COLUMNS.map((column) => (isDocument(column) ? documentValue(row, column, padBytes) : row[column])));

const STATE_COLUMNS = 'id, doc, variables, wake_at, seq, version';

/**
 * Reads and locks activeflows, in id order so that concurrent batches cannot deadlock (`ids`
 * distinct; LIMIT keeps a small table on the primary key, see deleteOutbox).
 */
export function lockActiveflows(ids: string[]): Statement {
  return { text: `SELECT ${STATE_COLUMNS} FROM activeflows WHERE id IN (?) ORDER BY id LIMIT ? FOR UPDATE`, values: [ids, ids.length] };
}

/** Which of these ids exist (a consistent read: no gap locks that would block other inserts). */
export function existingActiveflows(ids: string[]): Statement {
  return { text: 'SELECT id FROM activeflows WHERE id IN (?)', values: [ids] };
}

export function selectFlows(ids: string[]): Statement {
  return { text: 'SELECT * FROM flows WHERE id IN (?)', values: [ids] };
}

export function selectProcessed(messageIds: string[]): Statement {
  return { text: 'SELECT message_id FROM processed_messages WHERE message_id IN (?)', values: [messageIds] };
}

/**
 * New activeflows: a plain INSERT, so an id that exists after all fails the batch (retried).
 * `padBytes` here and below: the bucket of row-padding.ts (ROW_PAD_BYTES; 0 = none).
 */
export function insertActiveflows(rows: ActiveflowRow[], padBytes = 0): Statement {
  return { text: `INSERT INTO activeflows (${ACTIVEFLOW_COLUMNS.join(', ')}) VALUES ?`, values: [tuples(rows, padBytes)] };
}

const FLOW_ID_AT = ACTIVEFLOW_COLUMNS.indexOf('flow_id');

/**
 * New activeflows started on cached flows (`seqOf`: the seq the batch knew for a flow_id):
 * each row takes its flow_id from its flow's row, and only while the flow still has that seq.
 * A flow updated or deleted since gives NULL there and fails the statement (1048, the session is
 * strict; like updateActiveflowChecked) and with it the transaction, before its COMMIT.
 */
export function insertActiveflowsChecked(rows: ActiveflowRow[], seqOf: (flowId: string) => number, padBytes = 0): Statement {
  const values = tuples(rows, padBytes).map((tuple: unknown[], index) => {
    const flowId = rows[index]!.flow_id;
    tuple[FLOW_ID_AT] = new SqlFragment('(SELECT id FROM flows WHERE id = ? AND seq = ?)', [flowId, seqOf(flowId)]);
    return tuple;
  });
  return { text: `INSERT INTO activeflows (${ACTIVEFLOW_COLUMNS.join(', ')}) VALUES ?`, values: [values] };
}

/** Locked, existing activeflows: one statement for all of them (each row's version raised). */
export function updateActiveflows(rows: ActiveflowRow[], padBytes = 0): Statement {
  const updates = ['version = version + 1', ...ACTIVEFLOW_MUTABLE.map((column) => `${column} = VALUES(${column})`)].join(', ');
  return { text: `INSERT INTO activeflows (${ACTIVEFLOW_COLUMNS.join(', ')}) VALUES ? ON DUPLICATE KEY UPDATE ${updates}`, values: [tuples(rows, padBytes)] };
}

/**
 * An activeflow written from a cached state, not locked before: the row must still have
 * `version`, or the statement fails (1048, version cannot be NULL: the session is strict, see
 * connect.ts) and with it the transaction, before its COMMIT. The version is set first, so the
 * check sees the row as it was.
 */
export function updateActiveflowChecked(row: ActiveflowRow, version: number, padBytes = 0): Statement {
  const sets = ACTIVEFLOW_MUTABLE.map((column) => `${column} = ?`).join(', ');
  const values = ACTIVEFLOW_MUTABLE.map((column) => (isDocument(column) ? documentValue(row, column, padBytes) : row[column]));
  return { text: `UPDATE activeflows SET version = IF(version = ?, version + 1, NULL), ${sets} WHERE id = ?`, values: [version, ...values, row.id] };
}

/** MySQL's "Column '%s' cannot be null". */
const ER_BAD_NULL = 1048;

/**
 * Whether a failure is that of updateActiveflowChecked: the row's version moved on. By its code
 * alone (STYLE: never by the message's text): 1048 (a NULL in a NOT NULL column) from any other
 * statement of a cached batch would be a bug that the usual run of the batch, which follows,
 * meets again; calling it stale costs only that one try of the cache.
 */
export function isVersionMoved(err: unknown): boolean {
  return (err as { errno?: unknown }).errno === ER_BAD_NULL;
}

/** A plain INSERT: an id another worker committed meanwhile fails the batch, which is retried. */
export function insertProcessed(entries: [messageId: string, now: string][]): Statement {
  return { text: 'INSERT INTO processed_messages (message_id, tm_create) VALUES ?', values: [entries] };
}

/**
 * An outbox row to insert (its id is assigned by the database). With `around`, its body is the
 * `doc` of its activeflow's row as this transaction wrote it, without the padding after the JSON
 * (which never ends in a space), between those two texts.
 */
export type OutboxEntry = Omit<OutboxRow, 'id'> & { around?: [before: string, after: string] };

/** `returning`: the statement returns each new row's id and message_id (MariaDB 10.5+). */
export function insertOutbox(entries: OutboxEntry[], returning = false): Statement {
  const rows: string[] = [];
  const values: unknown[] = [];
  for (const e of entries) {
    if (e.around) {
      rows.push('(?, ?, ?, ?, CONCAT(?, RTRIM((SELECT doc FROM activeflows WHERE id = ?)), ?), ?)');
      values.push(e.message_id, e.aggregate_id, e.seq, e.type, e.around[0], e.aggregate_id, e.around[1], e.tm_create);
    } else {
      rows.push('(?, ?, ?, ?, ?, ?)');
      values.push(e.message_id, e.aggregate_id, e.seq, e.type, new SqlText(e.body), e.tm_create);
    }
  }
  const text = `INSERT INTO outbox (message_id, aggregate_id, seq, type, body, tm_create) VALUES ${rows.join(', ')}`;
  return { text: returning ? `${text} RETURNING id, message_id` : text, values };
}

/**
 * Outbox rows that were published and confirmed. ORDER BY and LIMIT keep it on the primary key:
 * without them, when the ids are much of the (small) table, the optimizer scans the whole table,
 * locking every row and the end of the table (no other batch can insert or delete meanwhile:
 * deadlocks between concurrent batches, measured at saturation).
 */
export function deleteOutbox(ids: number[]): Statement {
  return { text: 'DELETE FROM outbox WHERE id IN (?) ORDER BY id LIMIT ?', values: [ids, ids.length] };
}

/** The next outbox rows to publish, leaving out those the relay already has. */
export function selectOutbox(skip: number[], limit: number): Statement {
  const columns = 'id, message_id, aggregate_id, seq, type, body, tm_create';
  return skip.length === 0
    ? { text: `SELECT ${columns} FROM outbox ORDER BY id LIMIT ?`, values: [limit] }
    : { text: `SELECT ${columns} FROM outbox WHERE id NOT IN (?) ORDER BY id LIMIT ?`, values: [skip, limit] };
}

/** Reads one flow (for reads a batch did not know up front: on-complete links, fetch_flow). */
export function selectFlow(id: string): Statement {
  return { text: 'SELECT * FROM flows WHERE id = ?', values: [id] };
}
