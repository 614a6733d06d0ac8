// flowctl: the operators' command line (SPEC 7). Parses the arguments, runs one command, and
// answers with an exit code: 0 done, 1 the request failed (or the flow is invalid), 2 bad usage.
import { parseArgs } from 'node:util';
import { parseVars, runRpcCommand, RPC_COMMANDS, UsageError, type CommandOptions } from './commands.ts';
import { eventsCommand } from './events.ts';
import type { CliIo } from './io.ts';
import { createRpcClient, type RpcClient } from './rpc-client.ts';
import { simulateCommand } from './simulate.ts';
import { validateCommand } from './validate.ts';

export const DEFAULTS = {
  amqp: 'amqp://guest:guest@127.0.0.1:5672',
  queue: 'bin-manager.flow-manager.request',
  exchange: 'bin-manager.flow-manager.event',
  timeoutMs: 10_000,
} as const;

export const USAGE = `usage: flowctl <command> [options]

flows
  flow create -f FILE [--customer ID] [--name NAME] [--reference-type T]
                                                    FILE: a flow document or a bare actions array;
                                                    warnings of the analysis go to stderr
  flow list --customer ID [--deleted] [--page-size N] [--page-token TS]
  flow get ID
  flow delete ID
activeflows
  af start --flow ID --customer ID [--reference-type call|sms|conversation|api] [--reference-id ID]
           [--var NAME=VALUE ...] [--execute]
  af get ID | af stop ID | af execute ID | af delete ID
  af next ID --current ACTION_ID                    first time: 00000000-0000-0000-0000-000000000001
  af list --customer ID [--status running|ended] [--flow ID] [--current-action-type T] [--deleted]
          [--page-size N] [--page-token TS]
  af count --customer ID [--status S] [--group-by status|current_action_type|flow_id]
variables
  vars get ID
  vars set ID --var NAME=VALUE [--var ...]
other
  events [--json] [--count N]                       tail the event exchange
  validate FILE [--reference-type T] [--json]       static analysis, locally; exit 1 on errors
  simulate FILE --reference-type T [--script SCRIPT] [--now TIME] [--var NAME=VALUE ...] [--json]
                                                    run the flow offline against a script, locally;
                                                    exit 1 when the flow or the script is invalid

options
  --amqp URL       default: $AMQP_URL or ${DEFAULTS.amqp}
  --queue NAME     RPC request queue, default: $QUEUE_REQUEST or ${DEFAULTS.queue}
  --exchange NAME  event exchange, default: $EXCHANGE_EVENT or ${DEFAULTS.exchange}
  --timeout MS     how long to wait for a reply, default ${DEFAULTS.timeoutMs}
`;

const OPTIONS = {
  file: { type: 'string', short: 'f' },
  customer: { type: 'string' },
  name: { type: 'string' },
  flow: { type: 'string' },
  status: { type: 'string' },
  'reference-type': { type: 'string' },
  'reference-id': { type: 'string' },
  current: { type: 'string' },
  'current-action-type': { type: 'string' },
  var: { type: 'string', multiple: true },
  execute: { type: 'boolean' },
  deleted: { type: 'boolean' },
  'page-size': { type: 'string' },
  'page-token': { type: 'string' },
  'group-by': { type: 'string' },
  json: { type: 'boolean' },
  script: { type: 'string' },
  now: { type: 'string' },
  count: { type: 'string' },
  amqp: { type: 'string' },
  queue: { type: 'string' },
  exchange: { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs flowctl with `argv` (without `node flowctl`); resolves to the exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}\n(flowctl --help for usage)\n`);
      return 2;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (!command) {
    io.err(USAGE);
    return 2;
  }
  const url = values.amqp ?? io.env.AMQP_URL ?? DEFAULTS.amqp;
  const timeoutMs = values.timeout === undefined ? DEFAULTS.timeoutMs : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
    throw new UsageError('--timeout must be a positive integer (ms)');

  if (command === 'validate') {
    const file = rest[0] ?? values.file;
    if (!file) throw new UsageError('validate: missing FILE');
    return validateCommand(file, { referenceType: values['reference-type'], json: values.json ?? false }, io);
  }
  if (command === 'simulate') {
    const file = rest[0] ?? values.file;
    if (!file) throw new UsageError('simulate: missing FILE');
    const vars = values.var ?? [];
    return simulateCommand(
      file,
      {
        referenceType: values['reference-type'],
        script: values.script,
        now: values.now,
        ...(vars.length ? { variables: parseVars(vars) } : {}),
        json: values.json ?? false,
      },
      io,
    );
  }
  if (command === 'events') {
    const count = values.count === undefined ? 0 : Number(values.count);
    if (!Number.isInteger(count) || count < 0) throw new UsageError('--count must be a non-negative integer');
    const exchange = values.exchange ?? io.env.EXCHANGE_EVENT ?? DEFAULTS.exchange;
    return eventsCommand({ url, exchange, json: values.json ?? false, count }, io);
  }
  const [sub = '', ...args] = rest;
  if (!RPC_COMMANDS.has(`${command} ${sub}`))
    throw new UsageError(`unknown command: ${[command, sub].filter(Boolean).join(' ')}`);
  const options: CommandOptions = {
    file: values.file,
    customer: values.customer,
    name: values.name,
    flow: values.flow,
    status: values.status,
    referenceType: values['reference-type'],
    referenceId: values['reference-id'],
    current: values.current,
    currentActionType: values['current-action-type'],
    vars: values.var ?? [],
    execute: values.execute ?? false,
    deleted: values.deleted ?? false,
    pageSize: values['page-size'],
    pageToken: values['page-token'],
    groupBy: values['group-by'],
  };
  const queue = values.queue ?? io.env.QUEUE_REQUEST ?? DEFAULTS.queue;
  // Connects on the first request, so a usage mistake is reported without a broker.
  let client: Promise<RpcClient> | null = null;
  const rpc: RpcClient = {
    request: async (method, uri, data) => {
      client ??= createRpcClient({ url, queue, timeoutMs });
      return (await client).request(method, uri, data);
    },
    close: async () => {
      if (client) await (await client).close();
    },
  };
  try {
    return await runRpcCommand(command, sub, args, options, rpc, io);
  } finally {
    await rpc.close().catch(() => undefined);
  }
}
