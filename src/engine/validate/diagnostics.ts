// The catalog of validation findings and the shapes they travel in. Codes are stable wire values
// (the `POST /v1/flows/validate` reply and flowctl print them); docs/diagnostics.md documents each
// one and a test keeps that table and this catalog equal.

/** How bad a finding is: an `error` makes a flow invalid, a `warning` is advice. */
export type Severity = 'error' | 'warning';

/** The single catalog of diagnostic codes: code -> severity and a one-line meaning. */
export const DIAGNOSTIC_CODES = {
  MALFORMED_ACTIONS: { severity: 'error', summary: 'The actions document is not a JSON array.' },
  MALFORMED_ACTION: {
    severity: 'error',
    summary: 'An action is not an object, or one of its fields has the wrong JSON type.',
  },
  UNKNOWN_TYPE: { severity: 'error', summary: 'The action type is not one of the known types.' },
  DUPLICATE_ID: { severity: 'error', summary: 'Two actions of the flow share one id.' },
  RESERVED_ID: {
    severity: 'error',
    summary: 'An action uses a reserved id (empty, start, finish, move-on).',
  },
  MISSING_NEXT_TARGET: { severity: 'error', summary: 'next_id names an action that is not in the flow.' },
  MISSING_JUMP_TARGET: {
    severity: 'error',
    summary: 'A jump target option names an action that is not in the flow, or a required one is unset.',
  },
  INVALID_OPTION: {
    severity: 'error',
    summary: 'An option field of a flow-control action is missing or ill-typed.',
  },
  INVALID_TIMEZONE: {
    severity: 'error',
    summary: 'condition_datetime names a time zone that does not exist.',
  },
  MEDIA_NOT_ALLOWED: {
    severity: 'warning',
    summary: 'The action is not allowed for the reference type; the engine will skip it.',
  },
  UNREACHABLE_ACTION: { severity: 'warning', summary: 'No path from the first action leads to this action.' },
  GOTO_NEVER_JUMPS: {
    severity: 'warning',
    summary: 'A goto whose loop_count is missing or <= 0 never jumps.',
  },
  INFINITE_LOOP: {
    severity: 'warning',
    summary:
      'A cycle of flow-control actions never waits; it runs until MAX_EXECUTE_COUNT ends the activeflow.',
  },
  BRANCH_NO_DEFAULT: { severity: 'warning', summary: 'A branch has no default_target_id.' },
  UNSET_VARIABLE: {
    severity: 'warning',
    summary: 'A variable is read that nothing in the flow sets; it substitutes as "".',
  },
  EMPTY_FLOW: { severity: 'warning', summary: 'The flow has no actions; an activeflow of it ends at once.' },
} as const satisfies Record<string, { severity: Severity; summary: string }>;

/** A stable diagnostic code (UPPER_SNAKE), one of DIAGNOSTIC_CODES. */
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** One finding about a flow. `action_id` is the zero UUID for findings about the flow as a whole. */
export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  action_id: string;
  message: string;
}

/** The result of analyzing a flow: `valid` is true exactly when `errors` is empty. */
export interface ValidationReport {
  valid: boolean;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** A diagnostic with the severity taken from the catalog, so the two can never disagree. */
export function createDiagnostic(code: DiagnosticCode, actionId: string, message: string): Diagnostic {
  return { code, severity: DIAGNOSTIC_CODES[code].severity, action_id: actionId, message };
}

/** A diagnostic plus the index of the action it is about (-1: the flow), used to order findings. */
export interface Finding {
  index: number;
  diagnostic: Diagnostic;
}

/** Shorthand for a Finding about the action at `index`. */
export function finding(code: DiagnosticCode, index: number, actionId: string, message: string): Finding {
  return { index, diagnostic: createDiagnostic(code, actionId, message) };
}

/** How messages name an action: its position in the list and its type, e.g. `actions[2] (goto)`. */
export function label(index: number, type: string): string {
  return `actions[${index}] (${type})`;
}
