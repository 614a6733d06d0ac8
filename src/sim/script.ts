// The simulation script: what the outside world answers while a flow runs in the simulator
// (docs/simulator.md). Parsed with every problem reported at once, like a flow document.
import { z } from 'zod';
import type { Action } from '../engine/index.ts';

const variables = z.record(z.string(), z.string());

/**
 * How the world answers a waiting action: `done` is `action_done` for a handed-off action and
 * `continue` for a block; `timeout` fires the action's timer; `hangup` is the caller hanging up.
 */
export const SIM_OUTCOMES = ['done', 'timeout', 'hangup'] as const;
export type SimOutcome = (typeof SIM_OUTCOMES)[number];

// Strict objects: a script is written by hand, and a misspelt field ("answer", "varibles") would
// otherwise be dropped silently and the run would quietly take the default path.
const answer = z.strictObject({
  match: z
    .strictObject({ type: z.string().min(1).optional(), id: z.string().min(1).optional() })
    .refine((m) => m.type !== undefined || m.id !== undefined, 'must name a "type" or an "id"'),
  variables: variables.default({}),
  times: z.number().int().positive().default(1),
  outcome: z.enum(SIM_OUTCOMES).optional(),
});

const fetchReply = z.union([z.array(z.unknown()), z.strictObject({ error: z.string() })], {
  error: 'must be an array of actions or {"error": "<why>"}',
});

const SCRIPT_SCHEMA = z.strictObject({
  variables: variables.default({}),
  answers: z.array(answer).default([]),
  default: z
    .strictObject({ variables: variables.default({}), outcome: z.enum(SIM_OUTCOMES).optional() })
    .default({
      variables: {},
    }),
  fetch: z.record(z.string(), fetchReply).default({}),
  flows: z.record(z.string(), z.array(z.unknown())).default({}),
  max_steps: z.number().int().positive().default(200),
  now: z.union([z.string(), z.number()]).optional(),
});

/** A script as written (JSON): every field optional. */
export type SimScript = z.input<typeof SCRIPT_SCHEMA>;
/** A script with its defaults applied. */
export type ParsedScript = z.output<typeof SCRIPT_SCHEMA>;
export type SimAnswer = ParsedScript['answers'][number];
/** A canned `fetch` reply: the actions the URL returns, or the failure it produces. */
export type FetchReply = z.output<typeof fetchReply>;

/** The script with defaults applied and `now` as epoch ms, or every problem found. */
export type ParseScriptResult =
  { ok: true; script: ParsedScript; nowMs: number | undefined } | { ok: false; problems: string[] };

/** Checks an untrusted script document (e.g. a `.script.json` file) and applies its defaults. */
export function parseSimScript(input: unknown): ParseScriptResult {
  const parsed = SCRIPT_SCHEMA.safeParse(input ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      return `${path === '' ? 'script' : `script.${path}`}: ${issue.message}`;
    });
    return { ok: false, problems };
  }
  const { now } = parsed.data;
  const nowMs = typeof now === 'string' ? Date.parse(now) : now;
  if (nowMs !== undefined && !Number.isFinite(nowMs)) {
    return { ok: false, problems: [`script.now: "${String(now)}" is not an ISO 8601 time or epoch ms`] };
  }
  return { ok: true, script: parsed.data, nowMs };
}

/** The answer chosen for one wait, and where in the script it came from. */
export interface ChosenAnswer {
  variables: Record<string, string>;
  outcome: SimOutcome;
  source: string;
}

/**
 * Picks answers in script order: the first entry that matches the action and has uses left
 * (`times`), else `default`. A `hangup` action is answered with the call's hangup unless the
 * entry says otherwise, as the call service ends the call instead of reporting the action done.
 */
export function createAnswerer(script: ParsedScript): (action: Action) => ChosenAnswer {
  const used = script.answers.map(() => 0);
  return (action) => {
    const outcomeFor = (outcome: SimOutcome | undefined): SimOutcome =>
      outcome ?? (action.type === 'hangup' ? 'hangup' : 'done');
    for (const [index, entry] of script.answers.entries()) {
      const { type, id } = entry.match;
      const matches =
        (type === undefined || type === action.type) && (id === undefined || id.toLowerCase() === action.id);
      if (!matches || (used[index] ?? 0) >= entry.times) continue;
      used[index] = (used[index] ?? 0) + 1;
      return { variables: entry.variables, outcome: outcomeFor(entry.outcome), source: `answers[${index}]` };
    }
    return {
      variables: script.default.variables,
      outcome: outcomeFor(script.default.outcome),
      source: 'default',
    };
  };
}

/** The canned reply for a fetch: by the action's id first (any case), then by the requested URL. */
export function cannedFetch(
  script: ParsedScript,
  actionId: string,
  url: string,
): { key: string; reply: FetchReply } | null {
  const keys = Object.keys(script.fetch);
  const key =
    keys.find((candidate) => candidate.toLowerCase() === actionId) ??
    keys.find((candidate) => candidate === url);
  const reply = key === undefined ? undefined : script.fetch[key];
  return key === undefined || reply === undefined ? null : { key, reply };
}

/** The actions of a flow the script provides for `fetch_flow` (ids compared case-insensitively). */
export function cannedFlow(script: ParsedScript, flowId: string): unknown[] | null {
  const key = Object.keys(script.flows).find((candidate) => candidate.toLowerCase() === flowId.toLowerCase());
  return key === undefined ? null : (script.flows[key] ?? null);
}
