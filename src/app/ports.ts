// The small interfaces the use cases talk to; the Kysely and amqplib code lives behind them.
import type { Activeflow, Flow, FlowState } from '../engine/index.ts';

/** An activeflow as stored: the engine's state plus the last event sequence number used. */
export interface StoredActiveflow {
  state: FlowState;
  seq: number;
}

/** An event to publish after commit (a row of the outbox). */
export interface OutgoingEvent {
  message_id: string;
  aggregate_id: string;
  seq: number;
  type: string;
  /** The full event envelope, serialized. */
  body: string;
  /**
   * The envelope's `data` as JSON text, when `body` is `eventBody(type, data)` (documents.ts): a
   * store that writes this very text as the activeflow's row in the same transaction may build
   * the body from the row instead of sending it twice.
   */
  data?: string;
}

export interface ActiveflowFilter {
  customer_id?: string;
  status?: string;
  flow_id?: string;
  reference_type?: string;
  reference_id?: string;
  current_action_type?: string;
  deleted?: boolean;
}

export interface FlowFilter {
  customer_id?: string;
  type?: string;
  deleted?: boolean;
}

export interface Page {
  size: number;
  /** Only rows with tm_create before this (the tm_create of the last item of the previous page). */
  token?: string;
}

/** Work inside one database transaction. */
export interface Tx {
  /** Records an input id; false when it was recorded before (a duplicate delivery). */
  markProcessed(messageId: string, now: string): Promise<boolean>;
  /** Reads and locks an activeflow row until commit (SELECT ... FOR UPDATE). */
  lockActiveflow(id: string): Promise<StoredActiveflow | null>;
  /** Inserts a new activeflow; false when the id exists already. */
  insertActiveflow(state: FlowState, seq: number): Promise<boolean>;
  updateActiveflow(state: FlowState, seq: number): Promise<void>;
  /** Ids of running activeflows of a reference (for call_hangup), locked. */
  runningByReference(referenceId: string): Promise<string[]>;
  getFlow(id: string): Promise<{ flow: Flow; seq: number } | null>;
  /** Reads and locks a flow row until commit. */
  lockFlow(id: string): Promise<{ flow: Flow; seq: number } | null>;
  insertFlow(flow: Flow, seq: number): Promise<void>;
  updateFlow(flow: Flow, seq: number): Promise<void>;
  enqueue(events: OutgoingEvent[], now: string): Promise<void>;
}

/** What creating and driving activeflows needs of a transaction (a Tx, or a group commit's BatchTx). */
export type ActiveflowTx = Pick<Tx, 'markProcessed' | 'lockActiveflow' | 'insertActiveflow' | 'updateActiveflow' | 'getFlow' | 'enqueue'>;

/**
 * A transaction of a group commit: what the batch will touch is read (and its activeflows locked)
 * in one round trip up front, every write is buffered and all of them are sent with the COMMIT in
 * one more round trip. A savepoint marks the buffers so one input's writes can be dropped alone.
 */
export interface BatchTx extends ActiveflowTx {
  savepoint(): number;
  rollbackTo(mark: number): void;
}

/** What a group commit reads before its inputs run. */
export interface BatchReads {
  /** Activeflows to lock (SELECT ... FOR UPDATE, in id order). */
  lock: string[];
  /** Ids of activeflows the batch will create: checked for existence without a lock. */
  create: string[];
  /** Flows the inputs will read (start_flow). */
  flows: string[];
  /** Input ids to look up in processed_messages. */
  messages: string[];
}

/** The database: transactions, and reads that need no lock. */
export interface Store {
  /** Runs `work` in one transaction, retrying it whole on deadlocks, lock timeouts and lost connections. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Like `transaction`, for a group commit that first reads `reads` (same retries). */
  batch<T>(reads: BatchReads, work: (tx: BatchTx) => Promise<T>): Promise<T>;
  getActiveflow(id: string): Promise<StoredActiveflow | null>;
  listActiveflows(filter: ActiveflowFilter, page: Page): Promise<Activeflow[]>;
  countActiveflows(filter: ActiveflowFilter, groupBy?: 'status' | 'current_action_type' | 'flow_id'): Promise<number | { key: string; count: number }[]>;
  getFlow(id: string): Promise<Flow | null>;
  listFlows(filter: FlowFilter, page: Page): Promise<Flow[]>;
  countFlows(filter: FlowFilter): Promise<number>;
  /** Ids of activeflows whose timer is due at `now`, oldest first (each is then locked by its input). */
  dueTimers(now: string, limit: number): Promise<string[]>;
  /** Ids of a customer's activeflows not yet deleted, a batch at a time. */
  customerActiveflowIds(customerId: string, limit: number): Promise<string[]>;
  customerFlowIds(customerId: string, limit: number): Promise<string[]>;
  /** Deletes up to `limit` input ids recorded before `before`, oldest first; returns how many went. */
  pruneProcessed(before: string, limit: number): Promise<number>;
}

/** Publishes committed events; resolves once the broker confirmed every one of them. */
export interface Publisher {
  publish(events: OutgoingEvent[]): Promise<void>;
}

/** Performs the IO of `fetch` actions: an HTTP request whose JSON reply is returned. */
export interface HttpFetcher {
  fetchJson(request: { method: string; url: string; timeout_ms: number; body: unknown }): Promise<
    { ok: true; json: unknown } | { ok: false; error: string }
  >;
}
