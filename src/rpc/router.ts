// Routes RPC requests (SPEC 5.2, 5.3) by method and uri to handlers; callable without AMQP.
import { AppError, ERROR_CODES, toAppError } from '../app/errors.ts';

export interface RpcResponse {
  status_code: number;
  data_type: 'application/json' | 'voipbin_error' | '';
  data: unknown;
}

export interface RouteInput {
  params: Record<string, string>;
  query: URLSearchParams;
  data: unknown;
}

export type RouteHandler = (input: RouteInput) => Promise<unknown>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A path with `:name` segments, e.g. `/v1/flows/:id`. */
  pattern: string;
  handler: RouteHandler;
}

export interface RouterHooks {
  onError?: (err: AppError, request: { method: string; uri: string }) => void;
}

/** Builds the dispatcher: body bytes in, response envelope out. It never throws. */
export function createRouter(routes: Route[], hooks: RouterHooks = {}) {
  const compiled = routes.map((route) => ({ route, segments: route.pattern.split('/') }));
  return async function dispatch(body: Buffer | string): Promise<RpcResponse> {
    let method = '?';
    let uri = '?';
    try {
      const request = decode(body);
      method = request.method;
      uri = request.uri;
      const [path = '', queryText = ''] = request.uri.split('?', 2);
      const pathSegments = path.split('/');
      for (const { route, segments } of compiled) {
        if (route.method !== request.method || segments.length !== pathSegments.length) continue;
        const params = matchSegments(segments, pathSegments);
        if (!params) continue;
        const data = await route.handler({ params, query: new URLSearchParams(queryText), data: request.data });
        return { status_code: 200, data_type: 'application/json', data };
      }
      throw new AppError('ROUTE_NOT_FOUND', `uri: no route for ${request.method} ${path}`);
    } catch (err) {
      const error = toAppError(err);
      hooks.onError?.(error, { method, uri });
      return errorResponse(error);
    }
  };
}

/** The SPEC 5.2 error envelope of an AppError. */
export function errorResponse(error: AppError): RpcResponse {
  const info = ERROR_CODES[error.code];
  return {
    status_code: info.status,
    data_type: 'voipbin_error',
    data: { status: info.grpc, reason: error.code, domain: 'flow-manager', message: error.message, details: error.details },
  };
}

function decode(body: Buffer | string): { method: string; uri: string; data: unknown } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (err) {
    throw new AppError('INVALID_JSON', `body: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AppError('INVALID_ARGUMENT', 'body: must be a JSON object');
  }
  const { uri, method, data } = parsed as Record<string, unknown>;
  if (typeof uri !== 'string' || !uri.startsWith('/')) throw new AppError('INVALID_ARGUMENT', 'uri: must be a string starting with /');
  if (typeof method !== 'string') throw new AppError('INVALID_ARGUMENT', 'method: must be a string');
  let payload = data;
  // Some peers send `data` as a JSON string; accept both.
  if (typeof data === 'string' && data.length > 0) {
    try {
      payload = JSON.parse(data);
    } catch {
      throw new AppError('INVALID_JSON', 'data: not valid JSON');
    }
  }
  return { uri, method: method.toUpperCase(), data: payload ?? {} };
}

function matchSegments(pattern: string[], path: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i] ?? '';
    const got = path[i] ?? '';
    if (want.startsWith(':')) {
      if (!got) return null;
      try {
        params[want.slice(1)] = decodeURIComponent(got);
      } catch {
        throw new AppError('INVALID_ARGUMENT', `uri: malformed percent-encoding in ${want.slice(1)}`);
      }
    } else if (want !== got) return null;
  }
  return params;
}
