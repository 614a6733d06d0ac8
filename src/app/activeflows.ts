// Use cases that create and drive activeflows: load -> engine -> persist -> effects, one Tx each.
import {
  formatTimestamp,
  injectedVariablesProblem,
  withoutPlatformVariables,
  withVariables,
  isReadOnlyVariable,
  NOT_DELETED,
  type Activeflow,
  type EngineInput,
  type Outcome,
  type Variables,
} from '../engine/index.ts';
import { AppError } from './errors.ts';
import type { ActiveflowTx, BatchReads, Store, StoredActiveflow } from './ports.ts';
import { drive, insertNew, type AppDeps } from './runner.ts';
import { parseData, variablesSchema, type StartFlowData } from './schemas.ts';

export interface StartOptions {
  /** `event`: a platform service's start_flow; `rpc`: the customer-facing POST /v1/activeflows. */
  source: 'event' | 'rpc';
  /** Run to the first wait in the same transaction (start_flow) or leave it at start (create). */
  execute: boolean;
  messageId?: string;
}

/** The result of an input: the outcome and the activeflow as stored afterwards. */
export interface InputResult {
  outcome: Outcome | { kind: 'duplicate' } | { kind: 'started' };
  activeflow: Activeflow;
}

/**
 * One input of a group commit: an engine input for an activeflow, or a start_flow event that
 * creates activeflow `id` (its own or a newly generated id) and runs it to its first wait.
 */
export type BatchItem = { id: string; input: EngineInput; messageId?: string } | { id: string; start: StartFlowData; messageId?: string };
export type BatchResult = { ok: true; result: InputResult | null } | { ok: false; error: AppError };

export type ActiveflowUseCases = ReturnType<typeof createActiveflowUseCases>;

export function createActiveflowUseCases(store: Store, deps: AppDeps) {
  /** Creates an activeflow (SPEC 5.3 create, 5.4 start_flow); null when it is a duplicate. */
  async function start(raw: StartFlowData, options: StartOptions): Promise<Activeflow | null> {
    const id = raw.activeflow_id ?? deps.newId();
    return store.transaction((tx) => startIn(tx, id, raw, options));
  }

  /** `start` inside the given transaction, creating activeflow `id`. */
  async function startIn(tx: ActiveflowTx, id: string, raw: StartFlowData, options: StartOptions): Promise<Activeflow | null> {
    const variables = injectedVariables(raw.variables, options, deps);
    if (options.messageId && !(await tx.markProcessed(options.messageId, now()))) return null;
    const found = await tx.getFlow(raw.flow_id);
    if (!found || found.flow.tm_delete !== NOT_DELETED) {
      throw new AppError('FLOW_NOT_FOUND', `flow_id: flow ${raw.flow_id} not found`);
    }
    if (found.flow.customer_id !== raw.customer_id) {
      throw new AppError('CUSTOMER_MISMATCH', `flow_id: flow ${raw.flow_id} does not belong to customer ${raw.customer_id}`);
    }
    const created = await insertNew(tx, deps, {
      id,
      customer_id: raw.customer_id,
      flow: found.flow,
      reference_type: raw.reference_type,
      reference_id: raw.reference_id,
      reference_activeflow_id: raw.reference_activeflow_id,
      variables,
      complete_count: 0,
    });
    if (!created) return null;
    if (!options.execute) return created.state.activeflow;
    const outcome = await drive(tx, deps, created, { type: 'execute' });
    return outcome.kind === 'settled' ? outcome.state.activeflow : created.state.activeflow;
  }

  /** Applies one engine input to one activeflow inside the given transaction. */
  async function inputIn(tx: ActiveflowTx, id: string, engineInput: EngineInput, messageId?: string): Promise<InputResult> {
    const stored = await lockOrThrow(tx, id);
    if (messageId && !(await tx.markProcessed(messageId, now()))) {
      return { outcome: { kind: 'duplicate' }, activeflow: stored.state.activeflow };
    }
    const outcome = await drive(tx, deps, stored, engineInput);
    const activeflow = outcome.kind === 'settled' ? outcome.state.activeflow : stored.state.activeflow;
    return { outcome, activeflow };
  }

  /** Applies one engine input to one activeflow in its own transaction. */
  async function input(id: string, engineInput: EngineInput, messageId?: string): Promise<InputResult> {
    return store.transaction((tx) => inputIn(tx, id, engineInput, messageId));
  }

  /**
   * Applies inputs for distinct activeflows in ONE transaction (group commit). An input rejected
   * with an application error is undone alone (its buffered writes dropped); any other failure
   * aborts and retries the whole batch. Unknown activeflows give null, like `inputIfExists`; so
   * does a start_flow that is a duplicate (its input id or activeflow id seen before).
   */
  async function inputBatch(items: BatchItem[]): Promise<BatchResult[]> {
    return store.batch(batchReads(items), async (tx) => {
      const results: BatchResult[] = [];
      for (const item of items) {
        const mark = tx.savepoint();
        try {
          results.push({ ok: true, result: await batchItemIn(tx, item) });
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          tx.rollbackTo(mark);
          results.push(err.code === 'ACTIVEFLOW_NOT_FOUND' ? { ok: true, result: null } : { ok: false, error: err });
        }
      }
      return results;
    });
  }

  async function batchItemIn(tx: ActiveflowTx, item: BatchItem): Promise<InputResult | null> {
    if ('input' in item) return inputIn(tx, item.id, item.input, item.messageId);
    const options: StartOptions = { source: 'event', execute: true, ...(item.messageId ? { messageId: item.messageId } : {}) };
    const activeflow = await startIn(tx, item.id, item.start, options);
    return activeflow ? { outcome: { kind: 'started' }, activeflow } : null;
  }

  /** One BatchItem in a transaction of its own (when group commit is off). */
  async function runItem(item: BatchItem): Promise<InputResult | null> {
    if ('input' in item) return inputIfExists(item.id, item.input, item.messageId);
    return store.transaction((tx) => batchItemIn(tx, item));
  }

  /** Like `input`, but an unknown id is ignored rather than an error (for events). */
  async function inputIfExists(id: string, engineInput: EngineInput, messageId?: string): Promise<InputResult | null> {
    try {
      return await input(id, engineInput, messageId);
    } catch (err) {
      if (err instanceof AppError && err.code === 'ACTIVEFLOW_NOT_FOUND') return null;
      throw err;
    }
  }

  /** Ends every running activeflow of a call (SPEC 5.4 call_hangup), each in its own transaction. */
  async function hangupReference(referenceId: string, activeflowId?: string): Promise<number> {
    const ids = new Set(await store.transaction((tx) => tx.runningByReference(referenceId)));
    if (activeflowId) ids.add(activeflowId);
    let ended = 0;
    for (const id of ids) {
      const result = await inputIfExists(id, { type: 'hangup' });
      if (result?.outcome.kind === 'settled') ended++;
    }
    return ended;
  }

  /** Fires due timers (SPEC 2.3), each in its own transaction; safe with several workers. */
  async function fireDueTimers(limit = 100): Promise<number> {
    const ids = await store.dueTimers(now(), limit);
    let fired = 0;
    for (const id of ids) {
      const result = await inputIfExists(id, { type: 'timeout' });
      if (result?.outcome.kind === 'settled') fired++;
    }
    return fired;
  }

  /**
   * Sets variables (POST /v1/variables/<id>/variables): values substituted at set time (SPEC 4),
   * `voipbin.` names allowed (platform services). The row is locked; no event is published.
   */
  async function setVariables(id: string, updates: Variables): Promise<Variables> {
    const problem = injectedVariablesProblem(updates);
    if (problem !== null) throw new AppError('VARIABLES_TOO_LARGE', problem);
    return store.transaction(async (tx) => {
      const stored = await lockOrThrow(tx, id);
      const variables = withVariables(stored.state.variables, updates, true);
      await tx.updateActiveflow({ ...stored.state, variables }, stored.seq);
      return variables;
    });
  }

  /** Deletes one variable (DELETE /v1/variables/<id>/variables/<key>); a missing key is no error. */
  async function deleteVariable(id: string, key: string): Promise<Variables> {
    return store.transaction(async (tx) => {
      const stored = await lockOrThrow(tx, id);
      if (!Object.hasOwn(stored.state.variables, key) || isReadOnlyVariable(key)) return stored.state.variables;
      const variables = Object.fromEntries(Object.entries(stored.state.variables).filter(([name]) => name !== key));
      await tx.updateActiveflow({ ...stored.state, variables }, stored.seq);
      return variables;
    });
  }

  function now(): string {
    return formatTimestamp(deps.clock());
  }

  return { start, input, inputBatch, runItem, inputIfExists, hangupReference, fireDueTimers, setVariables, deleteVariable };
}

/** What a batch reads up front: its activeflows to lock, caller-chosen new ids, flows and input ids. */
function batchReads(items: BatchItem[]): BatchReads {
  const reads: BatchReads = { lock: [], create: [], flows: [], messages: [] };
  for (const item of items) {
    if (item.messageId) reads.messages.push(item.messageId);
    if ('input' in item) reads.lock.push(item.id);
    else {
      reads.flows.push(item.start.flow_id);
      // Also a generated id: a batch retried after an unknown COMMIT outcome finds its own row.
      reads.create.push(item.id);
    }
  }
  return reads;
}

async function lockOrThrow(tx: ActiveflowTx, id: string): Promise<StoredActiveflow> {
  const stored = await tx.lockActiveflow(id);
  if (!stored) throw new AppError('ACTIVEFLOW_NOT_FOUND', `activeflow ${id} not found`);
  return stored;
}

/**
 * Variables injected at creation (SPEC 4): the customer-facing path may not set `voipbin.` names;
 * over the limits an RPC create is rejected, while a start_flow event starts without them.
 */
function injectedVariables(raw: unknown, options: StartOptions, deps: AppDeps): Variables {
  if (raw === undefined || raw === null) return {};
  const parsed = variablesSchema.safeParse(raw);
  if (!parsed.success) {
    if (options.source === 'rpc') parseData(variablesSchema, raw, 'variables');
    deps.logger.warn({ problem: 'variables must map names to strings' }, 'start_flow: starting without injected variables');
    return {};
  }
  const variables = options.source === 'rpc' ? withoutPlatformVariables(parsed.data) : parsed.data;
  const problem = injectedVariablesProblem(variables);
  if (problem === null) return variables;
  if (options.source === 'rpc') throw new AppError('VARIABLES_TOO_LARGE', problem);
  deps.logger.warn({ problem }, 'start_flow: starting without injected variables');
  return {};
}
