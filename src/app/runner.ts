// Drives the engine inside a transaction: performs its IO, stores the settled state, writes the
// events to the outbox and starts on-complete chain links. Everything here runs in one Tx.
import type { Logger } from 'pino';
import {
  apply,
  createActiveflow,
  formatTimestamp,
  resume,
  NOT_DELETED,
  type EngineContext,
  type EngineInput,
  type IoRequest,
  type IoResult,
  type Outcome,
  type OnComplete,
  type Variables,
  type Activeflow,
  type Flow,
  type ReferenceType,
} from '../engine/index.ts';
import { activeflowJson, eventBody } from './documents.ts';
import type { ActiveflowTx, HttpFetcher, OutgoingEvent, StoredActiveflow } from './ports.ts';

/** What the use cases need from the outside world. */
export interface AppDeps {
  http: HttpFetcher;
  clock: () => number;
  newId: () => string;
  maxExecuteCount: number;
  actionTimeoutMs: number;
  logger: Logger;
}

/** The engine context of one input: time is read once, so one input sees one instant. */
export function engineContext(deps: AppDeps): EngineContext {
  return {
    now: deps.clock(),
    newId: deps.newId,
    maxExecuteCount: deps.maxExecuteCount,
    actionTimeoutMs: deps.actionTimeoutMs,
  };
}

/** Builds an outbox row: the SPEC 5.2 event envelope around `dataJson`, its id and sequence number. */
export function outgoingEvent(deps: AppDeps, type: string, aggregateId: string, seq: number, dataJson: string): OutgoingEvent {
  return { message_id: deps.newId(), aggregate_id: aggregateId, seq, type, body: eventBody(type, dataJson), data: dataJson };
}

export interface NewActiveflow {
  id: string;
  customer_id: string;
  flow: Flow;
  reference_type: ReferenceType;
  reference_id: string;
  reference_activeflow_id: string;
  variables: Variables;
  complete_count: number;
}

/** Inserts a new activeflow and its `activeflow_created` event; null when the id exists already. */
export async function insertNew(tx: ActiveflowTx, deps: AppDeps, params: NewActiveflow): Promise<StoredActiveflow | null> {
  const state = createActiveflow(
    {
      id: params.id,
      customer_id: params.customer_id,
      flow_id: params.flow.id,
      reference_type: params.reference_type,
      reference_id: params.reference_id,
      reference_activeflow_id: params.reference_activeflow_id,
      on_complete_flow_id: params.flow.on_complete_flow_id,
      actions: params.flow.actions,
      variables: params.variables,
      complete_count: params.complete_count,
    },
    deps.clock(),
  );
  if (!(await tx.insertActiveflow(state, 1))) return null;
  const created = outgoingEvent(deps, 'activeflow_created', state.activeflow.id, 1, activeflowJson(state.activeflow));
  await tx.enqueue([created], state.activeflow.tm_create);
  deps.logger.info({ activeflow_id: state.activeflow.id, flow_id: params.flow.id }, 'activeflow created');
  return { state, seq: 1 };
}

/** Applies one input to a locked activeflow and stores the result; returns the final outcome. */
export async function drive(tx: ActiveflowTx, deps: AppDeps, stored: StoredActiveflow, input: EngineInput): Promise<Outcome> {
  const ctx = engineContext(deps);
  let outcome = apply(stored.state, input, ctx);
  while (outcome.kind === 'io') {
    const result = await performIo(tx, deps, outcome.request);
    outcome = resume(outcome.pending, result, ctx);
  }
  if (outcome.kind !== 'settled') return outcome;
  let seq = stored.seq;
  const events: OutgoingEvent[] = [];
  const chain: OnComplete[] = [];
  for (const effect of outcome.effects) {
    if (effect.kind === 'event') events.push(outgoingEvent(deps, effect.type, effect.activeflow.id, ++seq, activeflowJson(effect.activeflow)));
    else chain.push(effect.next);
  }
  const af: Activeflow = outcome.state.activeflow;
  await tx.updateActiveflow(outcome.state, seq);
  await tx.enqueue(events, formatTimestamp(ctx.now));
  logSettled(deps, af, outcome);
  for (const next of chain) await startChainLink(tx, deps, next);
  return outcome;
}

function logSettled(deps: AppDeps, af: Activeflow, outcome: Extract<Outcome, { kind: 'settled' }>): void {
  // No child logger per input: at the usual levels most of these lines are not written at all.
  if (af.status === 'ended') {
    const level = af.end_reason === 'error' ? 'warn' : 'info';
    if (deps.logger.isLevelEnabled(level)) {
      deps.logger[level]({ activeflow_id: af.id, end_reason: af.end_reason, end_detail: af.end_detail, moves: outcome.trace.length }, 'activeflow ended');
    }
  } else if (deps.logger.isLevelEnabled('debug')) {
    deps.logger.debug({ activeflow_id: af.id, current_action: af.current_action.id, type: af.current_action.type }, 'activeflow waits');
  }
}

/** Starts the next link of an on-complete chain and runs it to its first wait (SPEC 2.3). */
async function startChainLink(tx: ActiveflowTx, deps: AppDeps, next: OnComplete): Promise<void> {
  const found = await tx.getFlow(next.flow_id);
  const log = deps.logger.child({ activeflow_id: next.reference_activeflow_id });
  if (!found || found.flow.tm_delete !== NOT_DELETED || found.flow.customer_id !== next.customer_id) {
    log.warn({ on_complete_flow_id: next.flow_id }, 'on-complete flow not found for this customer; chain ends');
    return;
  }
  const created = await insertNew(tx, deps, {
    id: deps.newId(),
    customer_id: next.customer_id,
    flow: found.flow,
    reference_type: next.reference_type,
    reference_id: next.reference_id,
    reference_activeflow_id: next.reference_activeflow_id,
    variables: next.variables,
    complete_count: next.complete_count,
  });
  if (created) await drive(tx, deps, created, { type: 'execute' });
}

async function performIo(tx: ActiveflowTx, deps: AppDeps, request: IoRequest): Promise<IoResult> {
  if (request.kind === 'http') {
    const reply = await deps.http.fetchJson(request);
    return reply.ok ? { ok: true, actions: reply.json } : reply;
  }
  const found = await tx.getFlow(request.flow_id);
  if (!found || found.flow.tm_delete !== NOT_DELETED || found.flow.customer_id !== request.customer_id) {
    return { ok: false, error: `flow ${request.flow_id} not found for this customer` };
  }
  return { ok: true, actions: found.flow.actions };
}

