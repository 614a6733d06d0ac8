// `flowctl simulate FILE --reference-type T [--script SCRIPT]`: runs a flow file offline through
// the simulator (docs/simulator.md), on this machine, no broker needed.
import { randomUUID } from 'node:crypto';
import { REFERENCE_TYPES, type ReferenceType } from '../engine/index.ts';
import { analyzeFlow, parseActions } from '../engine/validate/index.ts';
import {
  createSimIds,
  formatSimJson,
  formatSimResult,
  parseSimScript,
  simulate,
  type SimScript,
} from '../sim/index.ts';
import { UsageError } from './commands.ts';
import type { CliIo } from './io.ts';
import { actionsOfDocument, formatDiagnostic, readJsonFile } from './validate.ts';

export interface SimulateOptions {
  /** The medium (required): media gating (SPEC 3.3) depends on it. */
  referenceType?: string;
  /** A script file; without one every wait is answered by the defaults. */
  script?: string;
  /** The simulated clock: ISO 8601 or epoch ms; wins over the script's `now`. */
  now?: string;
  /** Start variables `NAME=VALUE`, merged over the script's `variables`. */
  variables?: Record<string, string>;
  json?: boolean;
}

/**
 * The ids the simulator gives actions without one (docs/simulator.md: the activeflow, flow and
 * reference take the first three), so findings name the ids the steps show.
 */
function simulatedIds(): () => string {
  const newId = createSimIds();
  for (let i = 0; i < 3; i++) newId();
  return newId;
}

/** Why a flowctl simulate run did not simulate anything: printed on stderr, exit code 1. */
const NOT_RUN = new Set(['invalid_flow', 'invalid_script']);

/**
 * Runs the command; resolves to the exit code: 0 when the simulation ran to its end (whatever
 * `end_reason` the flow ended with, `max_steps` included), 1 when the flow or the script is
 * invalid (every problem printed on stderr). A missing or bad `--reference-type` or `--now` is a
 * UsageError (exit 2).
 */
export async function simulateCommand(file: string, options: SimulateOptions, io: CliIo): Promise<number> {
  if (options.referenceType === undefined)
    throw new UsageError(`simulate: --reference-type is required (${REFERENCE_TYPES.join(', ')})`);
  if (!(REFERENCE_TYPES as readonly string[]).includes(options.referenceType))
    throw new UsageError(`--reference-type must be one of ${REFERENCE_TYPES.join(', ')}`);
  let now: number | undefined;
  if (options.now !== undefined) {
    now = /^\d+$/.test(options.now) ? Number(options.now) : Date.parse(options.now);
    if (!Number.isFinite(now))
      throw new UsageError(`--now "${options.now}" is not an ISO 8601 time or epoch ms`);
  }
  const actions = actionsOfDocument(await readJsonFile(file));
  const script = options.script === undefined ? {} : await readJsonFile(options.script);

  const result = simulate({ actions }, script as SimScript, {
    referenceType: options.referenceType as ReferenceType,
    ...(now === undefined ? {} : { now }),
    ...(options.variables ? { variables: options.variables } : {}),
  });
  io.out(options.json ? formatSimJson(result) : formatSimResult(result));
  if (!NOT_RUN.has(result.end_reason)) {
    // What the analysis says about this flow on this medium: it explains a skip or an error end.
    const parsed = parseActions(actions, simulatedIds());
    if (parsed.ok) {
      const report = analyzeFlow(parsed.actions, { referenceType: options.referenceType as ReferenceType });
      for (const d of [...report.errors, ...report.warnings]) io.err(`${formatDiagnostic(d)}\n`);
    }
    return 0;
  }

  // The result says it in one line; here every problem gets a line of its own.
  if (result.end_reason === 'invalid_script') {
    const parsed = parseSimScript(script);
    io.err(`error: ${options.script ?? 'script'}: invalid script\n`);
    for (const problem of parsed.ok ? [result.end_detail] : parsed.problems) io.err(`  ${problem}\n`);
  } else {
    const parsed = parseActions(actions, randomUUID);
    io.err(`error: ${file}: invalid flow\n`);
    if (parsed.ok) io.err(`  ${result.end_detail}\n`);
    else for (const d of parsed.diagnostics) io.err(`  ${formatDiagnostic(d)}\n`);
  }
  return 1;
}
