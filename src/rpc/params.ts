// Decoding of the parts of a request the routes share: id params, paging, list filters.
import { z } from 'zod';
import { AppError } from '../app/errors.ts';
import type { Page } from '../app/ports.ts';
import { parseData, uuid } from '../app/schemas.ts';

/** Page size of a list when `page_size` is absent, and the most one page may hold. */
export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;

const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;

/** A path param that must be a UUID; a malformed one is a 400 naming the param. */
export function uuidParam(params: Record<string, string>, name: string): string {
  const parsed = uuid.safeParse(params[name] ?? '');
  if (!parsed.success)
    throw new AppError(
      'INVALID_ARGUMENT',
      `${name}: must be a UUID, got ${JSON.stringify(params[name] ?? '')}`,
    );
  return parsed.data;
}

/** `?page_size=&page_token=`: size 1..100 (default 10, larger sizes are capped), token a wire timestamp. */
export function pageOf(query: URLSearchParams): Page {
  const sizeText = query.get('page_size');
  let size = DEFAULT_PAGE_SIZE;
  if (sizeText !== null && sizeText !== '') {
    if (!/^\d+$/.test(sizeText) || Number(sizeText) < 1) {
      throw new AppError(
        'INVALID_ARGUMENT',
        `page_size: must be a positive integer, got ${JSON.stringify(sizeText)}`,
      );
    }
    size = Math.min(Number(sizeText), MAX_PAGE_SIZE);
  }
  const token = query.get('page_token');
  if (token === null || token === '') return { size };
  if (!TIMESTAMP.test(token)) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `page_token: must be a timestamp YYYY-MM-DD HH:MM:SS.ffffff, got ${JSON.stringify(token)}`,
    );
  }
  return { size, token };
}

/** `true`/`false`, also as the strings some peers send. */
export const booleanish = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);

/**
 * The request's object data, `{}` when absent. Filters may also come as query parameters of the
 * same names (`?customer_id=`); values in `data` win.
 */
export function filterData(
  data: unknown,
  query: URLSearchParams,
  names: readonly string[],
): Record<string, unknown> {
  const fromQuery: Record<string, unknown> = {};
  for (const name of names) {
    const value = query.get(name);
    if (value !== null && value !== '') fromQuery[name] = value;
  }
  const body = objectData(data);
  return { ...fromQuery, ...body };
}

/** Parses the request's data against `schema`; an absent or empty-string data reads as `{}`. */
export function parseBody<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  return parseData(schema, data === '' || data === undefined || data === null ? {} : data, 'data');
}

function objectData(data: unknown): Record<string, unknown> {
  if (data === undefined || data === null || data === '') return {};
  if (typeof data !== 'object' || Array.isArray(data))
    throw new AppError('INVALID_ARGUMENT', 'data: must be a JSON object');
  return data as Record<string, unknown>;
}
