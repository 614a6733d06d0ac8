// Renders a simulation for people (one aligned line per step) or for programs (`--json`).
import { ACTION_ID } from '../engine/index.ts';
import type { SimResult, SimStep } from './types.ts';

/** Longest `text` option shown on a step before it is cut with an ellipsis. */
const MAX_TEXT = 60;

/**
 * One line per step, `n  type  id…  decision  why  {var: "old" -> "new"}`, then how the run ended
 * and the variables it left (the `voipbin.activeflow.*` ids omitted). Ends with a newline.
 */
export function formatSimResult(result: SimResult): string {
  const short = createShortIds(result.steps.map((step) => step.action_id));
  const rows = result.steps.map((step) => [
    String(step.n),
    step.type === '' ? '-' : step.type,
    short(step.action_id),
    step.decision,
    describe(step),
  ]);
  const widths = [0, 1, 2, 3].map((column) => Math.max(0, ...rows.map((row) => (row[column] ?? '').length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => {
        const width = widths[column];
        if (width === undefined) return cell;
        return column === 0 ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd(),
  );
  const detail = result.end_detail === '' ? '' : ` (${result.end_detail})`;
  lines.push(`end: ${result.end_reason}${detail}, execute_count ${result.execute_count}`);
  const shown = Object.keys(result.variables)
    .filter((name) => !name.startsWith('voipbin.activeflow.'))
    .sort()
    .map((name) => `${name}=${JSON.stringify(result.variables[name])}`);
  if (shown.length > 0) lines.push(`variables: ${shown.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** The `--json` form: the SimResult itself. */
export function formatSimJson(result: SimResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/**
 * How ids are shown: the first group (`4f2a1b3c…`) when that tells the ids apart, else the last
 * eight characters (`…00000003`, for hand-numbered ids), else the whole id. Reserved ids by name.
 */
export function createShortIds(ids: readonly string[]): (id: string) => string {
  const distinct = [...new Set(ids.filter((id) => !RESERVED_NAMES.has(id)))];
  const unique = (cut: (id: string) => string): boolean =>
    new Set(distinct.map(cut)).size === distinct.length;
  const head = (id: string): string => (id.length > 8 ? `${id.slice(0, 8)}…` : id);
  const tail = (id: string): string => (id.length > 8 ? `…${id.slice(-8)}` : id);
  const cut = unique(head) ? head : unique(tail) ? tail : (id: string) => id;
  return (id) => RESERVED_NAMES.get(id) ?? cut(id);
}

const RESERVED_NAMES: ReadonlyMap<string, string> = new Map([
  [ACTION_ID.start, 'start'],
  [ACTION_ID.finish, 'finish'],
]);

function describe(step: SimStep): string {
  const parts = [step.why];
  const text = step.option?.['text'];
  if (typeof text === 'string') {
    const cut = text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
    parts.push(`text=${JSON.stringify(cut)}`);
  }
  const changed = Object.entries(step.variables_changed).map(
    ([name, [old, now]]) => `${name}: ${JSON.stringify(old)} -> ${JSON.stringify(now)}`,
  );
  if (changed.length > 0) parts.push(`{${changed.join(', ')}}`);
  return parts.filter((part) => part !== '').join('  ');
}
