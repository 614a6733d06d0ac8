// The contract between the run loop and the one-handler-per-type modules of this folder.
import type { FlowControlType } from '../action-types.ts';
import type { Options } from '../options.ts';
import type { Action, EndReason, EngineContext, FlowState } from '../types.ts';

/** IO the engine cannot do itself: the shell performs it and resumes the engine with the result. */
export type IoRequest =
  | { kind: 'http'; method: string; url: string; timeout_ms: number; body: Record<string, unknown> }
  | { kind: 'flow'; flow_id: string; customer_id: string };

/** What a flow-control action decided; `note` says why, for traces and the simulator. */
export type HandlerResult =
  | { kind: 'continue'; note: string }
  | { kind: 'jump'; target_id: string; note: string }
  | { kind: 'end'; reason: EndReason; detail: string }
  | { kind: 'wait'; wake_at: number; note: string }
  | { kind: 'io'; request: IoRequest; note: string };

/** A handler may change `draft` (variables, the stored stack) but nothing else. */
export interface HandlerInput<T extends FlowControlType> {
  draft: FlowState;
  action: Action;
  option: Options[T];
  ctx: EngineContext;
}

export type Handler<T extends FlowControlType> = (input: HandlerInput<T>) => HandlerResult;

/** One handler per flow-control type: a missing one is a compile error. */
export type HandlerMap = { [T in FlowControlType]: Handler<T> };
