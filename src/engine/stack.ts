// Cursor rules over the stack map (SPEC 2.1): where the next move goes, where a jump lands.
import { ACTION_ID, ZERO_ID, type Action, type Activeflow, type Stack } from './types.ts';

/** Stack traversal is bounded (SPEC 2.1). */
export const MAX_STACK_HOPS = 100;

/** A cursor position: an action inside a stack. */
export interface Position {
  stackId: string;
  action: Action;
}

export type NextResult =
  | { kind: 'position'; position: Position }
  | { kind: 'finished'; why: string }
  | { kind: 'error'; why: string };

/** The chain of stacks from `stackId` up to the main stack (the stack itself first). */
export function ancestry(activeflow: Activeflow, stackId: string): Stack[] {
  const chain: Stack[] = [];
  let id = stackId;
  for (let hop = 0; hop < MAX_STACK_HOPS && id !== ZERO_ID; hop++) {
    const stack = activeflow.stack_map[id];
    if (!stack) break;
    chain.push(stack);
    id = stack.return_stack_id;
  }
  return chain;
}

/** Finds `actionId` in the stack `fromStackId` or its ancestors (SPEC 2.1: jump lookup). */
export function locate(activeflow: Activeflow, fromStackId: string, actionId: string): Position | null {
  if (actionId === ZERO_ID) return null;
  for (const stack of ancestry(activeflow, fromStackId)) {
    const action = stack.actions.find((candidate) => candidate.id === actionId);
    if (action) return { stackId: stack.id, action };
  }
  return null;
}

/** Finds an action anywhere in one given stack. */
export function findInStack(activeflow: Activeflow, stackId: string, actionId: string): Position | null {
  const action = activeflow.stack_map[stackId]?.actions.find((candidate) => candidate.id === actionId);
  return action ? { stackId, action } : null;
}

/**
 * Chooses the next position from the activeflow's cursor (SPEC 2.1 rules 1-5). Pure: reads only.
 * When the cursor leaves pushed stacks behind, `popStacksAbove` removes them on entry.
 */
export function chooseNext(activeflow: Activeflow): NextResult {
  if (activeflow.forward_stack_id !== ZERO_ID && activeflow.forward_action_id !== ZERO_ID) {
    const target = findInStack(activeflow, activeflow.forward_stack_id, activeflow.forward_action_id);
    if (!target) return { kind: 'error', why: `forward target ${activeflow.forward_action_id} not found` };
    return { kind: 'position', position: target };
  }
  const current = activeflow.current_action;
  if (current.id === ACTION_ID.start) {
    const first = activeflow.stack_map[activeflow.current_stack_id]?.actions[0];
    if (!first) return { kind: 'finished', why: 'the flow has no actions' };
    return { kind: 'position', position: { stackId: activeflow.current_stack_id, action: first } };
  }
  return after(activeflow, activeflow.current_stack_id, current);
}

/** The position after `action` of `stackId`: its next_id, the next element, or the return. */
export function after(activeflow: Activeflow, stackId: string, action: Action): NextResult {
  let at = { stackId, action };
  for (let hop = 0; hop < MAX_STACK_HOPS; hop++) {
    if (at.action.next_id !== ZERO_ID) {
      const target = locate(activeflow, at.stackId, at.action.next_id);
      if (target) return { kind: 'position', position: target };
      return { kind: 'finished', why: `next_id ${at.action.next_id} exists nowhere` };
    }
    const stack = activeflow.stack_map[at.stackId];
    if (!stack) return { kind: 'error', why: `stack ${at.stackId} not found` };
    const index = stack.actions.findIndex((candidate) => candidate.id === at.action.id);
    const following = index >= 0 ? stack.actions[index + 1] : undefined;
    if (following) return { kind: 'position', position: { stackId: stack.id, action: following } };
    if (stack.return_stack_id === ZERO_ID) return { kind: 'finished', why: 'end of the main stack' };
    const back = findInStack(activeflow, stack.return_stack_id, stack.return_action_id);
    if (!back) {
      const returnStack = activeflow.stack_map[stack.return_stack_id];
      const first = returnStack?.actions[0];
      // The return action is the start marker: continue at the first action of the return stack.
      if (stack.return_action_id === ACTION_ID.start && returnStack && first) {
        return { kind: 'position', position: { stackId: returnStack.id, action: first } };
      }
      return { kind: 'error', why: `return action ${stack.return_action_id} not found` };
    }
    at = back;
  }
  return { kind: 'error', why: `stack traversal exceeded ${MAX_STACK_HOPS} hops` };
}

/**
 * Removes the pushed stacks between the current stack and `targetStackId` when the target is an
 * ancestor (finished stacks are dropped, SPEC 2.1 rule 5). Mutates the given draft.
 */
export function popStacksAbove(activeflow: Activeflow, targetStackId: string): void {
  const chain = ancestry(activeflow, activeflow.current_stack_id);
  const targetIndex = chain.findIndex((stack) => stack.id === targetStackId);
  if (targetIndex <= 0) return;
  const dropped = new Set(chain.slice(0, targetIndex).map((stack) => stack.id));
  // Stacks that return into a dropped one (add_actions) could never return: they go too, and so
  // does a pending forward into any of them.
  for (let grew = true; grew; ) {
    grew = false;
    for (const stack of Object.values(activeflow.stack_map)) {
      if (!dropped.has(stack.id) && dropped.has(stack.return_stack_id)) {
        dropped.add(stack.id);
        grew = true;
      }
    }
  }
  for (const id of dropped) delete activeflow.stack_map[id];
  if (dropped.has(activeflow.forward_stack_id)) {
    activeflow.forward_stack_id = ZERO_ID;
    activeflow.forward_action_id = ZERO_ID;
  }
}
