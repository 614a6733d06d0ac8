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

/**
 * A transaction of a group commit: the rows of a batch are locked with one query up front and
 * every write is buffered and flushed with one statement per table at commit. A savepoint marks
 * the buffers so one input's writes can be dropped alone.
 */
export interface BatchTx extends Tx {
  savepoint(): number;
  rollbackTo(mark: number): void;
}

/** The database: transactions, and reads that need no lock. */
export interface Store {
  /** Runs `work` in one transaction, retrying it whole on deadlocks, lock timeouts and lost connections. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Like `transaction`, for a group commit over these activeflows and input ids (same retries). */
  batch<T>(activeflowIds: string[], messageIds: string[], work: (tx: BatchTx) => Promise<T>): Promise<T>;
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
