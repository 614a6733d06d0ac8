// The engine's public surface: pure functions over activeflow state.
export * from './types.ts';
export * from './action-types.ts';
export { apply, resume, MAX_COMPLETE_CHAIN } from './apply.ts';
export type { EngineInput, Effect, Outcome, OnComplete, PendingIo, IoResult, RejectCode } from './apply.ts';
export type { IoRequest } from './actions/handler.ts';
export type { TraceStep } from './run.ts';
export { createActiveflow, type CreateParams } from './create.ts';
export * from './variables.ts';
export { formatTimestamp, parseTimestamp } from './time.ts';
export { parseOption } from './options.ts';
