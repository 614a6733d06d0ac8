// Comparison operators shared by the condition_* actions.
import type { Options } from '../options.ts';

export type Comparison = Options['condition_variable']['condition'];

/** Applies `left OP right` to two numbers or two strings (strings compare lexicographically). */
export function compare<T extends number | string>(left: T, op: Comparison, right: T): boolean {
  switch (op) {
    case '==':
      return left === right;
    case '!=':
      return left !== right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
  }
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Parses a decimal number strictly: "" or "12abc" are not numbers. */
export function parseDecimal(text: string): number | null {
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) ? Number(trimmed) : null;
}
