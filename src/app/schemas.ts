// Schemas of the data the worker accepts (SPEC 5.3, 5.4): the shell decodes, these validate.
import { z } from 'zod';
import { REFERENCE_TYPES, ZERO_ID } from '../engine/index.ts';
import { AppError } from './errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A UUID string, any case on input, lowercase after parsing. */
export const uuid = z
  .string()
  .transform((s) => s.toLowerCase())
  .refine((s) => UUID.test(s), { message: 'must be a UUID' });
const optionalUuid = uuid.optional().default(ZERO_ID);
const variables = z.record(z.string(), z.string());

export const startFlowSchema = z.object({
  activeflow_id: uuid.optional(),
  customer_id: uuid,
  flow_id: uuid,
  reference_type: z.enum(REFERENCE_TYPES),
  reference_id: optionalUuid,
  reference_activeflow_id: optionalUuid,
  variables: z.unknown().optional(),
});
export type StartFlowData = z.output<typeof startFlowSchema>;

export const createActiveflowSchema = startFlowSchema.omit({ activeflow_id: true }).extend({ id: uuid.optional() });

export const actionDoneSchema = z.object({
  activeflow_id: uuid,
  action_id: uuid,
  variables: variables.optional(),
});

export const callHangupSchema = z.object({ id: uuid, activeflow_id: uuid.optional() });
export const customerDeletedSchema = z.object({ id: uuid });
export const variablesSchema = variables;

/** Parses `data` or throws INVALID_ARGUMENT naming every bad field. */
export function parseData<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : what}: ${i.message}`);
  throw new AppError('INVALID_ARGUMENT', `${what}: ${problems.join('; ')}`, problems);
}
