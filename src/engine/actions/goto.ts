import type { Handler } from './handler.ts';

/** `goto`: jumps while `loop_count` > 0, decrementing it in the stored stack (SPEC 3.1). */
export const gotoHandler: Handler<'goto'> = ({ draft, action, option }) => {
  if (option.loop_count <= 0) return { kind: 'continue', note: 'loop_count is 0: no jump' };
  const { activeflow } = draft;
  const stackId = activeflow.current_stack_id;
  const stack = activeflow.stack_map[stackId];
  const left = option.loop_count - 1;
  // A copy of the stack with a copy of this action: the draft shares its stacks with the state it
  // was made from (clone.ts draftOf), which must not change.
  const index = stack ? stack.actions.findIndex((a) => a.id === action.id) : -1;
  if (stack && index >= 0) {
    const actions = [...stack.actions];
    const stored = actions[index]!;
    actions[index] = { ...stored, option: { ...stored.option, loop_count: left } };
    activeflow.stack_map[stackId] = { ...stack, actions };
  }
  return { kind: 'jump', target_id: option.target_id, note: `jump to ${option.target_id}, ${left} jumps left` };
};
