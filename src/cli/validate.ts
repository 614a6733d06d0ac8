// `flowctl validate FILE`: static analysis of a flow file on this machine, no broker needed.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { REFERENCE_TYPES, type ReferenceType } from '../engine/index.ts';
import {
  analyzeFlow,
  parseActions,
  type Diagnostic,
  type ValidationReport,
} from '../engine/validate/index.ts';
import type { CliIo } from './io.ts';

/** The actions of a flow file: `{actions: [...]}` (a flow document) or a bare array. */
export function actionsOfDocument(document: unknown): unknown {
  if (
    document !== null &&
    typeof document === 'object' &&
    !Array.isArray(document) &&
    'actions' in document
  ) {
    return (document as { actions: unknown }).actions;
  }
  return document;
}

/** Reads and parses a JSON file; the error names the file. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read (${err instanceof Error ? err.message : String(err)})`, {
      cause: err,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`, {
      cause: err,
    });
  }
}

/** Validates the actions of a document as `POST /v1/flows/validate` does. */
export function validateDocument(document: unknown, referenceType?: ReferenceType): ValidationReport {
  const parsed = parseActions(actionsOfDocument(document), randomUUID);
  if (!parsed.ok) return { valid: false, errors: parsed.diagnostics, warnings: [] };
  return analyzeFlow(parsed.actions, referenceType ? { referenceType } : {});
}

/** One line per finding: `SEVERITY CODE action_id message`. */
export function formatDiagnostic(
  d: Pick<Diagnostic, 'action_id' | 'message'> & { severity: string; code: string },
): string {
  return `${d.severity.toUpperCase()} ${d.code} ${d.action_id} ${d.message}`;
}

/** Runs the command; exit code 1 when the flow has errors. */
export async function validateCommand(
  file: string,
  options: { referenceType?: string; json?: boolean },
  io: CliIo,
): Promise<number> {
  if (
    options.referenceType !== undefined &&
    !(REFERENCE_TYPES as readonly string[]).includes(options.referenceType)
  ) {
    io.err(`error: --reference-type must be one of ${REFERENCE_TYPES.join(', ')}\n`);
    return 2;
  }
  const report = validateDocument(
    await readJsonFile(file),
    options.referenceType as ReferenceType | undefined,
  );
  if (options.json) {
    io.out(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const d of [...report.errors, ...report.warnings]) io.out(`${formatDiagnostic(d)}\n`);
    const counts = `${report.errors.length} error(s), ${report.warnings.length} warning(s)`;
    io.out(`${report.valid ? 'valid' : 'invalid'}: ${counts}\n`);
  }
  return report.valid ? 0 : 1;
}
