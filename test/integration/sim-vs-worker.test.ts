// The simulator promises the path a caller would take (docs/simulator.md). This holds it to that
// promise: every example flow, and a hand-made goto loop, runs once in the simulator and once in
// the real worker (RabbitMQ + MariaDB), fed the same inputs by the same script, and the two runs
// must agree on the path, the waits, the variables and the end.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ACTION_ID, isHandedOffType, parseTimestamp, type ReferenceType } from '../../src/engine/index.ts';
import {
  parseSimScript,
  simulate,
  type ParsedScript,
  type SimResult,
  type SimScript,
} from '../../src/sim/index.ts';
import { createTestEnv, waitUntil, type ReceivedEvent, type TestEnv } from '../helpers/env.ts';

const root = new URL('../../', import.meta.url);
const readJson = (path: string): any => JSON.parse(readFileSync(new URL(path, root), 'utf8'));

interface Case {
  name: string;
  referenceType: ReferenceType;
  flow: { actions: unknown[] };
  script: SimScript;
}

const example = (name: string, referenceType: ReferenceType): Case => ({
  name,
  referenceType,
  flow: readJson(`examples/${name}.flow.json`),
  script: readJson(`examples/${name}.script.json`),
});

const loopId = (n: number) => `44000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * A retry loop bounded by a goto: three rounds of variable_set + digits_receive, then a
 * condition_variable on what was collected. The script answers the first two digits_receive
 * with "1" (`times` 2) and the third, matched by id, with "2"; start variables are substituted.
 */
const gotoLoop: Case = {
  name: 'hand-made goto loop',
  referenceType: 'call',
  flow: {
    actions: [
      { id: loopId(1), type: 'answer' },
      { id: loopId(2), type: 'variable_set', option: { key: 'tries', value: '${tries}x' } },
      { id: loopId(3), type: 'talk', option: { text: '${greeting}, attempt ${tries}' } },
      { id: loopId(4), type: 'digits_receive', option: { length: 1 } },
      {
        id: loopId(5),
        type: 'variable_set',
        option: { key: 'collected', value: '${collected}${voipbin.call.digits}' },
      },
      { id: loopId(6), type: 'goto', option: { target_id: loopId(2), loop_count: 2 } },
      {
        id: loopId(7),
        type: 'condition_variable',
        option: {
          condition: '==',
          variable: '${collected}',
          value_type: 'string',
          value_string: '112',
          false_target_id: loopId(9),
        },
      },
      {
        id: loopId(8),
        type: 'talk',
        next_id: loopId(10),
        option: { text: 'you entered ${collected} in ${tries}' },
      },
      { id: loopId(9), type: 'talk', option: { text: 'unexpected ${collected}' } },
      { id: loopId(10), type: 'hangup' },
    ],
  },
  script: {
    variables: { greeting: 'Hello', tries: '', collected: '' },
    answers: [
      { match: { type: 'digits_receive' }, variables: { 'voipbin.call.digits': '1' }, times: 2 },
      { match: { id: loopId(4).toUpperCase() }, variables: { 'voipbin.call.digits': '2' } },
    ],
  },
};

const CASES: Case[] = [
  example('ivr-menu', 'call'),
  example('business-hours', 'call'),
  example('sms-keyword', 'sms'),
  gotoLoop,
];

/** How the outside world answers one wait, chosen as the simulator chooses (src/sim/script.ts). */
interface Answer {
  variables: Record<string, string>;
  outcome: 'done' | 'timeout' | 'hangup';
}

/**
 * The simulator's matching rules, re-implemented: answers in script order, the first entry whose
 * `match` fits (type and/or id, id in any case) and has uses left (`times`), else `default`; a
 * `hangup` action is answered with the call's hangup unless the entry says otherwise.
 */
function answerer(script: ParsedScript): (action: { id: string; type: string }) => Answer {
  const used = script.answers.map(() => 0);
  return (action) => {
    const outcome = (given: Answer['outcome'] | undefined) =>
      given ?? (action.type === 'hangup' ? 'hangup' : 'done');
    for (const [index, entry] of script.answers.entries()) {
      const { type, id } = entry.match;
      const fits =
        (type === undefined || type === action.type) && (id === undefined || id.toLowerCase() === action.id);
      if (!fits || (used[index] ?? 0) >= entry.times) continue;
      used[index] = (used[index] ?? 0) + 1;
      return { variables: entry.variables, outcome: outcome(entry.outcome) };
    }
    return { variables: script.default.variables, outcome: outcome(script.default.outcome) };
  };
}

/** `voipbin.activeflow.*` variables that hold ids of the run itself: they differ by design. */
const RUN_IDS = ['voipbin.activeflow.id', 'voipbin.activeflow.flow_id', 'voipbin.activeflow.reference_id'];
const withoutRunIds = (variables: Record<string, string>) =>
  Object.fromEntries(Object.entries(variables).filter(([name]) => !RUN_IDS.includes(name)));

/** A wait: the action handed to the owning service, with its option as that service receives it. */
interface Wait {
  id: string;
  type: string;
  option: unknown;
}

interface WorkerRun {
  activeflow: any;
  variables: Record<string, string>;
  waits: Wait[];
  updates: ReceivedEvent[];
}

describe('simulator vs worker: the same flow and script take the same path', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.close();
  });

  const updatesOf = (afId: string) =>
    env.events.filter((e) => e.type === 'activeflow_updated' && e.data.id === afId);
  const update = async (afId: string, n: number): Promise<ReceivedEvent> => {
    await waitUntil(
      () => updatesOf(afId).length >= n || undefined,
      10_000,
      `activeflow_updated #${n} of ${afId}`,
    );
    return updatesOf(afId)[n - 1]!;
  };

  /** Drives the real worker: start_flow, then one action_done / call_hangup per wait. */
  async function runWorker(c: Case, script: ParsedScript): Promise<WorkerRun> {
    const customer = randomUUID();
    const created = await env.rpc('POST', '/v1/flows', {
      customer_id: customer,
      name: c.name,
      actions: c.flow.actions,
    });
    assert.equal(created.status_code, 200, JSON.stringify(created));
    const afId = randomUUID();
    const referenceId = randomUUID();
    env.publishEvent('start_flow', {
      activeflow_id: afId,
      customer_id: customer,
      flow_id: created.data.id,
      reference_type: c.referenceType,
      reference_id: referenceId,
      variables: script.variables,
    });
    const answer = answerer(script);
    const waits: Wait[] = [];
    for (let n = 1; ; n++) {
      const af = (await update(afId, n)).data as any;
      if (af.status === 'ended') break;
      assert.ok(n <= script.max_steps, `more than ${script.max_steps} waits`);
      const current = af.current_action as Wait;
      waits.push({ id: current.id, type: current.type, option: current.option });
      const chosen = answer(current);
      if (chosen.outcome === 'hangup') {
        env.publishEvent('call_hangup', { id: referenceId, activeflow_id: afId, status: 'hangup' });
      } else if (chosen.outcome === 'done' && isHandedOffType(current.type)) {
        env.publishEvent('action_done', {
          activeflow_id: afId,
          action_id: current.id,
          variables: chosen.variables,
        });
      } else {
        throw new Error(`${c.name}: this test does not play ${chosen.outcome} at a ${current.type}`);
      }
    }
    const activeflow = await env.rpc('GET', `/v1/activeflows/${afId}`);
    assert.equal(activeflow.status_code, 200, JSON.stringify(activeflow));
    const variables = await env.rpc('GET', `/v1/variables/${afId}`);
    assert.equal(variables.status_code, 200, JSON.stringify(variables));
    return {
      activeflow: activeflow.data,
      variables: variables.data.variables,
      waits,
      updates: updatesOf(afId),
    };
  }

  /**
   * The worker reads the real clock once per input (it is the input's `tm_update`). The transition
   * that ran the flow's condition_datetime actions fixes the clock the simulator must use; with
   * none, the clock does not matter and the simulator keeps its own.
   */
  function clockOf(run: WorkerRun): number | undefined {
    const instants = new Set<number>();
    let seen = 0;
    for (const { data } of run.updates) {
      const executed = (data as any).executed_actions as { type: string }[];
      if (executed.slice(seen).some((a) => a.type === 'condition_datetime')) {
        const at = parseTimestamp(String((data as any).tm_update));
        assert.ok(at !== null, `tm_update ${String((data as any).tm_update)}`);
        instants.add(at);
      }
      seen = executed.length;
    }
    assert.ok(instants.size <= 1, 'the simulator has one clock: datetime conditions must run in one input');
    return [...instants][0];
  }

  /** The simulator's path: the action of every step, but the `end` step that repeats its wait. */
  function simPath(result: SimResult): string[] {
    return result.steps
      .filter((step, i) => !(step.decision === 'end' && result.steps[i - 1]?.action_id === step.action_id))
      .map((step) => step.action_id);
  }

  for (const c of CASES) {
    it(`${c.name} (${c.referenceType})`, async () => {
      const parsed = parseSimScript(c.script);
      assert.ok(parsed.ok, JSON.stringify(parsed));
      const worker = await runWorker(c, parsed.script);
      const now = clockOf(worker);
      const sim = simulate(c.flow, c.script, {
        referenceType: c.referenceType,
        ...(now === undefined ? {} : { now }),
      });
      const af = worker.activeflow;

      // The path: the worker's history (after *start*) and where it stopped, step by step.
      const executed = (af.executed_actions as { id: string }[]).map((a) => a.id);
      assert.equal(executed[0], ACTION_ID.start);
      assert.deepEqual([...executed.slice(1), af.current_action.id], simPath(sim), 'executed actions');
      assert.equal(af.execute_count, sim.execute_count, 'execute_count');

      // The waits: what the owning service was handed, options substituted.
      const simWaits = sim.steps
        .filter((s) => s.decision === 'answered' || s.decision === 'hangup' || s.decision === 'timeout')
        .map((s) => ({ id: s.action_id, type: s.type, option: s.option }));
      assert.deepEqual(worker.waits, simWaits, 'waits');

      assert.deepEqual(withoutRunIds(worker.variables), withoutRunIds(sim.variables), 'final variables');
      assert.equal(af.status, 'ended');
      assert.equal(af.end_reason, sim.end_reason, 'end_reason');
      assert.equal(af.end_detail, sim.end_detail, 'end_detail');
    });
  }

  it('the hand-made loop takes the path the script implies', () => {
    const sim = simulate(gotoLoop.flow, gotoLoop.script, { referenceType: 'call' });
    const rounds = [2, 3, 4, 5, 6].map(loopId);
    assert.deepEqual(simPath(sim), [
      loopId(1),
      ...rounds,
      ...rounds,
      ...rounds,
      loopId(7),
      loopId(8),
      loopId(10),
    ]);
    assert.equal(sim.variables.collected, '112');
    assert.equal(sim.variables.tries, 'xxx');
    assert.equal(sim.end_reason, 'hangup');
  });
});
