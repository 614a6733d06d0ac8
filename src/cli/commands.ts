// flowctl's RPC commands: each builds one or two SPEC 5.3 requests and prints the reply.
import type { CliIo } from './io.ts';
import { printJson } from './io.ts';
import type { RpcClient, RpcReply } from './rpc-client.ts';
import { formatDiagnostic, readJsonFile } from './validate.ts';

/** The parsed options a command may use (all optional; each command checks what it needs). */
export interface CommandOptions {
  file?: string;
  customer?: string;
  name?: string;
  flow?: string;
  status?: string;
  referenceType?: string;
  referenceId?: string;
  current?: string;
  vars: string[];
  execute: boolean;
  deleted: boolean;
  pageSize?: string;
  pageToken?: string;
  groupBy?: string;
  currentActionType?: string;
}

/** Every `group sub` runRpcCommand knows (checked before connecting to the broker). */
export const RPC_COMMANDS: ReadonlySet<string> = new Set([
  'flow create',
  'flow list',
  'flow get',
  'flow delete',
  'af start',
  'af get',
  'af list',
  'af count',
  'af execute',
  'af stop',
  'af delete',
  'af next',
  'vars get',
  'vars set',
]);

/** A mistake in the command line: printed with the usage hint, exit code 2. */
export class UsageError extends Error {}

const ENDED_OR_BLOCK: Record<string, string> = {
  '00000000-0000-0000-0000-000000000002': 'the activeflow has ended (finish)',
  '00000000-0000-0000-0000-000000000000': 'the activeflow waits at a block (empty)',
};

/** Runs `flow ...` or `af ...` / `vars ...`; returns the exit code. */
export async function runRpcCommand(
  group: string,
  sub: string,
  args: string[],
  options: CommandOptions,
  rpc: RpcClient,
  io: CliIo,
): Promise<number> {
  const idArg = (what: string) => {
    const id = args[0];
    if (!id) throw new UsageError(`${group} ${sub}: missing ${what}`);
    return id;
  };
  const need = (value: string | undefined, flag: string) => {
    if (!value) throw new UsageError(`${group} ${sub}: --${flag} is required`);
    return value;
  };
  const send = async (method: string, uri: string, data?: unknown) =>
    report(await rpc.request(method, uri, data), io);
  const pageQuery = () => {
    const query = new URLSearchParams();
    if (options.pageSize) query.set('page_size', options.pageSize);
    if (options.pageToken) query.set('page_token', options.pageToken);
    const text = query.toString();
    return text ? `?${text}` : '';
  };
  const enc = encodeURIComponent;

  switch (`${group} ${sub}`) {
    case 'flow create': {
      const document = await readJsonFile(need(options.file, 'file'));
      const body: Record<string, unknown> = Array.isArray(document)
        ? { actions: document }
        : { ...(document as Record<string, unknown>) };
      if (options.customer) body.customer_id = options.customer;
      if (options.name) body.name = options.name;
      if (options.referenceType) body.reference_type = options.referenceType;
      if (!body.customer_id)
        throw new UsageError('flow create: --customer is required when the file has no customer_id');
      const reply = await rpc.request('POST', '/v1/flows', body);
      const code = report(reply, io);
      // Saved despite its warnings: say so where a person sees it, the JSON on stdout stays whole.
      if (reply.status_code === 200) printWarnings((reply.data as { warnings?: unknown }).warnings, io);
      return code;
    }
    case 'flow list':
      return send('GET', `/v1/flows${pageQuery()}`, {
        customer_id: need(options.customer, 'customer'),
        deleted: options.deleted,
      });
    case 'flow get':
      return send('GET', `/v1/flows/${enc(idArg('flow id'))}`);
    case 'flow delete':
      return send('DELETE', `/v1/flows/${enc(idArg('flow id'))}`);
    case 'af start': {
      const data = {
        customer_id: need(options.customer, 'customer'),
        flow_id: need(options.flow, 'flow'),
        reference_type: options.referenceType ?? 'api',
        ...(options.referenceId ? { reference_id: options.referenceId } : {}),
        ...(options.vars.length ? { variables: parseVars(options.vars) } : {}),
      };
      if (!options.execute) return send('POST', '/v1/activeflows', data);
      const created = await rpc.request('POST', '/v1/activeflows', data);
      if (created.status_code !== 200) return report(created, io);
      return send('POST', `/v1/activeflows/${enc((created.data as { id: string }).id)}/execute`);
    }
    case 'af get':
      return send('GET', `/v1/activeflows/${enc(idArg('activeflow id'))}`);
    case 'af list':
    case 'af count': {
      const filter: Record<string, unknown> = {
        customer_id: need(options.customer, 'customer'),
        deleted: options.deleted,
      };
      if (options.status) filter.status = options.status;
      if (options.flow) filter.flow_id = options.flow;
      if (options.referenceType) filter.reference_type = options.referenceType;
      if (options.referenceId) filter.reference_id = options.referenceId;
      if (options.currentActionType) filter.current_action_type = options.currentActionType;
      if (sub === 'list') return send('GET', `/v1/activeflows${pageQuery()}`, filter);
      return send('GET', '/v1/activeflows/count', {
        ...filter,
        ...(options.groupBy ? { group_by: options.groupBy } : {}),
      });
    }
    case 'af execute':
      return send('POST', `/v1/activeflows/${enc(idArg('activeflow id'))}/execute`);
    case 'af stop':
      return send('POST', `/v1/activeflows/${enc(idArg('activeflow id'))}/stop`);
    case 'af delete':
      return send('DELETE', `/v1/activeflows/${enc(idArg('activeflow id'))}`);
    case 'af next': {
      const reply = await rpc.request('GET', `/v1/activeflows/${enc(idArg('activeflow id'))}/next`, {
        current_action_id: need(options.current, 'current'),
      });
      const code = report(reply, io);
      const note =
        reply.status_code === 200 ? ENDED_OR_BLOCK[(reply.data as { id?: string }).id ?? ''] : undefined;
      if (note) io.err(`${note}\n`);
      return code;
    }
    case 'vars get':
      return send('GET', `/v1/variables/${enc(idArg('activeflow id'))}`);
    case 'vars set':
      if (options.vars.length === 0) throw new UsageError('vars set: give at least one --var NAME=VALUE');
      return send('POST', `/v1/variables/${enc(idArg('activeflow id'))}/variables`, {
        variables: parseVars(options.vars),
      });
    default:
      throw new UsageError(`unknown command: ${[group, sub].filter(Boolean).join(' ')}`);
  }
}

/** `NAME=VALUE` pairs; the value may contain `=`. */
export function parseVars(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--var ${pair}: expected NAME=VALUE`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/** One `WARNING CODE action_id message` line per warning of a saved flow, on stderr. */
function printWarnings(warnings: unknown, io: CliIo): void {
  if (!Array.isArray(warnings)) return;
  for (const w of warnings as { code?: string; severity?: string; action_id?: string; message?: string }[]) {
    if (w && w.code && w.severity && w.action_id && w.message)
      io.err(
        `${formatDiagnostic({ code: w.code, severity: w.severity, action_id: w.action_id, message: w.message })}\n`,
      );
  }
}

/** Prints a reply: the data as JSON on 200 (exit 0), else the error and its details (exit 1). */
export function report(reply: RpcReply, io: CliIo): number {
  if (reply.status_code === 200) {
    printJson(io, reply.data);
    return 0;
  }
  const error = (reply.data ?? {}) as { reason?: string; message?: string; details?: unknown[] };
  io.err(
    `error: ${reply.status_code} ${error.reason ?? reply.data_type}: ${error.message ?? JSON.stringify(reply.data)}\n`,
  );
  for (const detail of error.details ?? []) {
    const d = detail as { code?: string; severity?: string; action_id?: string; message?: string };
    if (d && typeof d === 'object' && d.code && d.severity && d.action_id && d.message) {
      io.err(
        `  ${formatDiagnostic({ code: d.code, severity: d.severity, action_id: d.action_id, message: d.message })}\n`,
      );
    } else io.err(`  ${typeof detail === 'string' ? detail : JSON.stringify(detail)}\n`);
  }
  return 1;
}
