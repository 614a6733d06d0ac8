// Flow use cases: create, update, delete with validation and flow_* events (SPEC 5.3, 5.5).
import { z } from 'zod';
import { formatTimestamp, FLOW_TYPES, NOT_DELETED, REFERENCE_TYPES, ZERO_ID, type Action, type Flow, type ReferenceType } from '../engine/index.ts';
import { analyzeFlow, parseActions, type AnalyzeOptions } from '../engine/validate/index.ts';
import type { ValidationReport } from '../engine/validate/diagnostics.ts';
import { AppError } from './errors.ts';
import type { Store, Tx } from './ports.ts';
import { outgoingEvent, type AppDeps } from './runner.ts';
import { parseData, uuid } from './schemas.ts';

/**
 * A flow is a template: no reference type is known for it until an activeflow starts. A client
 * that knows the medium may say so (`reference_type`), and only then is MEDIA_NOT_ALLOWED reported.
 */
const referenceTypeHint = z.enum(REFERENCE_TYPES).optional();

const createSchema = z.object({
  id: uuid.optional(),
  reference_type: referenceTypeHint,
  customer_id: uuid,
  type: z.enum(FLOW_TYPES).default('flow'),
  name: z.string().max(255).default(''),
  detail: z.string().default(''),
  actions: z.unknown().default([]),
  on_complete_flow_id: uuid.optional().default(ZERO_ID),
});
const updateSchema = z.object({
  reference_type: referenceTypeHint,
  name: z.string().max(255).optional(),
  detail: z.string().optional(),
  actions: z.unknown().optional(),
  on_complete_flow_id: uuid.optional(),
});

const actionsOnlySchema = z.object({
  reference_type: referenceTypeHint,
  actions: z.unknown().refine((v) => v !== undefined, { message: 'required' }),
});

/**
 * A saved flow and the warnings its analysis found (errors reject the save). The RPC reply is the
 * Flow plus a `warnings` field; the flow_* events carry the Flow alone.
 */
export interface SavedFlow {
  flow: Flow;
  warnings: ValidationReport['warnings'];
}

export type FlowUseCases = ReturnType<typeof createFlowUseCases>;

export function createFlowUseCases(store: Store, deps: AppDeps, afterCommit: () => void = () => undefined) {
  /** Parses and analyses actions; throws INVALID_FLOW listing every error found. */
  function checkedActions(raw: unknown, referenceType?: ReferenceType): { actions: Action[]; report: ValidationReport } {
    const parsed = parseActions(raw, deps.newId);
    if (!parsed.ok) {
      throw new AppError('INVALID_FLOW', `actions: ${parsed.diagnostics.map((d) => d.message).join('; ')}`, parsed.diagnostics);
    }
    const report = analyzeFlow(parsed.actions, analyzeOptions(referenceType));
    if (!report.valid) {
      throw new AppError('INVALID_FLOW', `actions: ${report.errors.map((d) => d.message).join('; ')}`, report.errors);
    }
    return { actions: parsed.actions, report };
  }

  async function save(tx: Tx, flow: Flow, seq: number, type: 'flow_created' | 'flow_updated' | 'flow_deleted'): Promise<void> {
    if (type === 'flow_created') await tx.insertFlow(flow, seq);
    else await tx.updateFlow(flow, seq);
    await tx.enqueue([outgoingEvent(deps, type, flow.id, seq, JSON.stringify(flow))], flow.tm_update);
  }

  async function create(data: unknown): Promise<SavedFlow> {
    const input = parseData(createSchema, data, 'data');
    const { actions, report } = checkedActions(input.actions, input.reference_type);
    const stamp = formatTimestamp(deps.clock());
    const flow: Flow = {
      id: input.id ?? deps.newId(),
      customer_id: input.customer_id,
      type: input.type,
      name: input.name,
      detail: input.detail,
      actions,
      on_complete_flow_id: input.on_complete_flow_id,
      tm_create: stamp,
      tm_update: stamp,
      tm_delete: NOT_DELETED,
    };
    await store.transaction(async (tx) => {
      if (await tx.getFlow(flow.id)) throw new AppError('ALREADY_EXISTS', `id: flow ${flow.id} exists already`);
      await save(tx, flow, 1, 'flow_created');
    });
    afterCommit();
    return { flow, warnings: report.warnings };
  }

  async function update(id: string, data: unknown, onlyActions = false): Promise<SavedFlow> {
    const input = parseData(onlyActions ? actionsOnlySchema : updateSchema, data, 'data');
    const checked = input.actions === undefined ? null : checkedActions(input.actions, input.reference_type);
    const flow = await store.transaction(async (tx) => {
      const found = await lockLive(tx, id);
      const next: Flow = { ...found.flow, tm_update: formatTimestamp(deps.clock()) };
      if (checked) next.actions = checked.actions;
      if ('name' in input && input.name !== undefined) next.name = input.name;
      if ('detail' in input && input.detail !== undefined) next.detail = input.detail;
      if ('on_complete_flow_id' in input && input.on_complete_flow_id !== undefined) next.on_complete_flow_id = input.on_complete_flow_id;
      await save(tx, next, found.seq + 1, 'flow_updated');
      return next;
    });
    afterCommit();
    // Without new actions the stored ones are analysed for the reply only: they were accepted when
    // saved, so a finding the analysis has learnt since never rejects a rename.
    const warnings = checked?.report.warnings ?? analyzeFlow(flow.actions, analyzeOptions(input.reference_type)).warnings;
    return { flow, warnings };
  }

  /** Soft-deletes a flow (running activeflows keep their copy of its actions). */
  async function remove(id: string): Promise<Flow> {
    const flow = await store.transaction(async (tx) => {
      const found = await lockLive(tx, id);
      const stamp = formatTimestamp(deps.clock());
      const deleted: Flow = { ...found.flow, tm_update: stamp, tm_delete: stamp };
      await save(tx, deleted, found.seq + 1, 'flow_deleted');
      return deleted;
    });
    afterCommit();
    return flow;
  }

  async function get(id: string): Promise<Flow> {
    const flow = await store.getFlow(id);
    if (!flow) throw new AppError('FLOW_NOT_FOUND', `flow ${id} not found`);
    return flow;
  }

  /** Static analysis without saving (POST /v1/flows/validate). */
  function validate(data: unknown): ValidationReport {
    const input = parseData(z.object({ actions: z.unknown(), reference_type: referenceTypeHint }), data, 'data');
    const parsed = parseActions(input.actions, deps.newId);
    if (!parsed.ok) return { valid: false, errors: parsed.diagnostics, warnings: [] };
    return analyzeFlow(parsed.actions, analyzeOptions(input.reference_type));
  }

  return { create, update, remove, get, validate, checkedActions };
}

/** What the analysis knows beyond the actions: the medium, only when the request names it. */
function analyzeOptions(referenceType: ReferenceType | undefined): AnalyzeOptions {
  return referenceType ? { referenceType } : {};
}

async function lockLive(tx: Tx, id: string): Promise<{ flow: Flow; seq: number }> {
  const found = await tx.lockFlow(id);
  if (!found || found.flow.tm_delete !== NOT_DELETED) throw new AppError('FLOW_NOT_FOUND', `flow ${id} not found`);
  return found;
}
