import type { Handler } from './handler.ts';

/** `goto`: jumps while `loop_count` > 0, decrementing it in the stored stack (SPEC 3.1). */
export const gotoHandler: Handler<'goto'> = ({ draft, action, option }) => {
  if (option.loop_count <= 0) return { kind: 'continue', note: 'loop_count is 0: no jump' };
  const { activeflow } = draft;
  const stored = activeflow.stack_map[activeflow.current_stack_id]?.actions.find((a) => a.id === action.id);
  const left = option.loop_count - 1;
  if (stored) stored.option = { ...stored.option, loop_count: left };
  return { kind: 'jump', target_id: option.target_id, note: `jump to ${option.target_id}, ${left} jumps left` };
};
