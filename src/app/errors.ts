// One catalog of application error codes: each with its RPC status and whether a retry can help.

export const ERROR_CODES = {
  INVALID_JSON: { status: 400, grpc: 'INVALID_ARGUMENT', retryable: false, summary: 'the body is not valid JSON' },
  INVALID_ARGUMENT: { status: 400, grpc: 'INVALID_ARGUMENT', retryable: false, summary: 'a field is missing or ill-typed' },
  INVALID_FLOW: { status: 400, grpc: 'INVALID_ARGUMENT', retryable: false, summary: 'the actions did not pass validation' },
  CUSTOMER_MISMATCH: { status: 400, grpc: 'INVALID_ARGUMENT', retryable: false, summary: "the resource belongs to another customer" },
  TARGET_NOT_FOUND: { status: 400, grpc: 'INVALID_ARGUMENT', retryable: false, summary: 'an action id is not in the current stack or its ancestors' },
  VARIABLES_TOO_LARGE: { status: 400, grpc: 'INVALID_ARGUMENT', retryable: false, summary: 'injected variables exceed 100 keys, 32 KiB a value or 64 KiB in total' },
  ROUTE_NOT_FOUND: { status: 404, grpc: 'NOT_FOUND', retryable: false, summary: 'no route for this method and uri' },
  FLOW_NOT_FOUND: { status: 404, grpc: 'NOT_FOUND', retryable: false, summary: 'no such flow (or it is deleted)' },
  ACTIVEFLOW_NOT_FOUND: { status: 404, grpc: 'NOT_FOUND', retryable: false, summary: 'no such activeflow' },
  ACTION_NOT_FOUND: { status: 404, grpc: 'NOT_FOUND', retryable: false, summary: 'no such action in the flow' },
  ALREADY_EXISTS: { status: 409, grpc: 'ALREADY_EXISTS', retryable: false, summary: 'a resource with this id exists' },
  STALE_ACTION: { status: 409, grpc: 'FAILED_PRECONDITION', retryable: false, summary: 'the activeflow is not at the given action' },
  DATABASE_UNAVAILABLE: { status: 503, grpc: 'UNAVAILABLE', retryable: true, summary: 'the database did not answer; retried in place, then requeued' },
  INTERNAL: { status: 500, grpc: 'INTERNAL', retryable: true, summary: 'an unexpected failure; the request may be retried' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A failure with a stable code; never classified by its message text. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown[];
  constructor(code: ErrorCode, message: string, details: unknown[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }
}

/** Normalizes anything thrown into an AppError, keeping the original as `cause`. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError('INTERNAL', message, [], { cause: err });
}
