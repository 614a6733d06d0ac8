// npm run bench: our worker against the floor, in one run, on this machine. Prints a table and
// writes bench/results/latest.json. BENCH_SECONDS (10), BENCH_WARMUP (15 s before each measured
// window), BENCH_ROWS_LARGE and BENCH_RATE (500/s) tune the durations, the size and the offered
// rate; BENCH_RATE_ROUNDS (3; 1 with BENCH_QUICK) the rounds of floor and ours at that rate, which
// take turns at going first and are pooled; BENCH_QUICK=1 stops after the 10k-row runs of one
// worker and the floor; BENCH_LATENCY=1
// (or =saturation) runs BENCH_ROUNDS (4) rounds of floor / ours / ours with BENCH_VARIANT's
// settings (default: no state cache) at one load. BENCH_NODE_FLAGS replaces the worker's V8 flags;
// BENCH_WORKER_STDOUT=/path/prefix writes each worker's stdout (--trace-gc-nvp, say) to
// prefix.<pid>.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import amqp from 'amqplib';
import { createConnection } from 'mysql2/promise';
import { createLoop, driveFloor, driveOurs, quantile, type Measure } from './driver.ts';
import { checkpointSampler, settle } from './innodb.ts';
import { prefill } from './prefill.ts';
import { loadConfig } from '../src/config.ts';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const MYSQL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const DB = 'fm_bench';
/** The database of the large-table runs, prefilled once; the small one stays small meanwhile. */
const DB_LARGE = 'fm_bench_large';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/**
 * Seconds each run goes before its measured window. A fresh worker spends its first seconds
 * optimising its code: V8's optimising compiler took ~20 % of its CPU 3-8 s after start and
 * ~2.5 % 30-35 s after (perf, 500/s), while the floor's few lines are optimised at once.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 15);
const LARGE = Number(process.env.BENCH_ROWS_LARGE ?? 1_000_000);
const SMALL = 10_000;
const CONCURRENCY = 200;
const SOAK = Number(process.env.BENCH_SOAK_SECONDS ?? 0);
/** The offered rate (transitions/s) of the fixed-rate runs. */
const RATE = Number(process.env.BENCH_RATE ?? 500);
/** Rounds of BENCH_LATENCY. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/** Rounds of floor and ours at the offered rate in a full (or quick) run. */
const RATE_ROUNDS = Number(process.env.BENCH_RATE_ROUNDS ?? (process.env.BENCH_QUICK ? 1 : 3));
const tag = randomUUID().slice(0, 6);
const names = {
  QUEUE_REQUEST: `bench-${tag}.request`,
  QUEUE_SUBSCRIBE: `bench-${tag}.subscribe`,
  EXCHANGE_EVENT: `bench-${tag}.event`,
  SUBSCRIBE_EXCHANGES: `bench-${tag}.call-event`,
  DEAD_LETTER_QUEUE: `bench-${tag}.dead-letter`,
};
/** The worker's prefetch and pool (its defaults, or this run's PREFETCH / DB_POOL_SIZE): the floor gets the same. */
const { prefetch: PREFETCH, dbPoolSize: POOL } = loadConfig(process.env);
const workerEnv = { ...process.env, ...names, PREFETCH: String(PREFETCH), DB_POOL_SIZE: String(POOL), AMQP_URL, DATABASE_URL: `${MYSQL}/${DB}`, HTTP_PORT: '0', LOG_LEVEL: 'warn', MAX_EXECUTE_COUNT: '100' };

let nextPort = 19700;

/** The V8 flags `npm start` gives the worker (package.json); BENCH_NODE_FLAGS (a variant's, else the bench's own) replaces them. */
const WORKER_NODE_FLAGS = ['--max-semi-space-size=32', '--initial-old-space-size=256'];

/** Spawns a worker (src/main.ts) or the floor and resolves once it is ready. */
async function spawnScript(script: string, env: Record<string, string> = {}): Promise<ChildProcess & { port?: number }> {
  const port = nextPort++;
  const profile = process.env.BENCH_PROFILE && script === 'src/main.ts' ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles'] : [];
  const child: ChildProcess & { port?: number } = spawn(process.execPath, [...profile, ...(script === 'src/main.ts' ? ((env.BENCH_NODE_FLAGS ?? process.env.BENCH_NODE_FLAGS)?.split(' ').filter(Boolean) ?? WORKER_NODE_FLAGS) : []), '--import', 'tsx', script], {
    env: { ...workerEnv, ...env, HTTP_PORT: String(port), MYSQL_URL: `${MYSQL}/${DB}` },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.port = port;
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  if (process.env.BENCH_WORKER_STDOUT && script === 'src/main.ts') child.stdout!.pipe(createWriteStream(`${process.env.BENCH_WORKER_STDOUT}.${child.pid}`));
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${script} exited: ${out}`);
    if (Date.now() > deadline) throw new Error(`${script} did not become ready: ${out}`);
    if (script === 'bench/floor.ts' ? out.includes('floor started') : await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The pids of the broker and the database server, whose CPU a run also reports. */
function servicePids(): { broker: number[]; database: number[] } {
  const pidsOf = (name: string) => {
    try {
      return execFileSync('pidof', [name], { encoding: 'utf8' }).trim().split(/\s+/).map(Number).filter((n) => n > 0);
    } catch {
      return [];
    }
  };
  return { broker: pidsOf('beam.smp'), database: pidsOf('mariadbd').concat(pidsOf('mysqld')) };
}

/** What the services did during a run: CPU of broker, database and this load generator; MySQL statements, commits and bytes. */
async function serviceCounters(): Promise<{ brokerCpu: number; databaseCpu: number; driverCpu: number; statements: number; commits: number; bytesIn: number; bytesOut: number; diskReads: number; pagesFlushed: number; redoBytes: number; lockWaits: number; lockWaitMs: number; box: { steal: number; total: number } }> {
  const pids = servicePids();
  const cpu = (list: number[]) => list.reduce((s, pid) => s + usage(pid).cpuSeconds, 0);
  const own = process.cpuUsage();
  const [status] = (await sql.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_commit', 'Bytes_received', 'Bytes_sent', 'Innodb_buffer_pool_reads', 'Innodb_buffer_pool_pages_flushed', 'Innodb_os_log_written', 'Innodb_row_lock_waits', 'Innodb_row_lock_time')")) as any;
  const value = (name: string) => Number(status.find((r: { Variable_name: string }) => r.Variable_name === name)?.Value ?? 0);
  return { brokerCpu: cpu(pids.broker), databaseCpu: cpu(pids.database), driverCpu: (own.user + own.system) / 1e6, statements: value('Questions'), commits: value('Com_commit'), bytesIn: value('Bytes_received'), bytesOut: value('Bytes_sent'), diskReads: value('Innodb_buffer_pool_reads'), pagesFlushed: value('Innodb_buffer_pool_pages_flushed'), redoBytes: value('Innodb_os_log_written'), lockWaits: value('Innodb_row_lock_waits'), lockWaitMs: value('Innodb_row_lock_time'), box: boxTicks() };
}

/** The per-transition and per-second differences of two serviceCounters readings, over the measured window. */
function serviceFigures(before: Awaited<ReturnType<typeof serviceCounters>>, after: Awaited<ReturnType<typeof serviceCounters>>, m: Measure) {
  const seconds = m.seconds;
  const perTransition = (n: number) => n / Math.max(1, m.transitions);
  return {
    brokerCores: (after.brokerCpu - before.brokerCpu) / seconds,
    databaseCores: (after.databaseCpu - before.databaseCpu) / seconds,
    driverCores: (after.driverCpu - before.driverCpu) / seconds,
    statementsPerTransition: perTransition(after.statements - before.statements),
    commitsPerTransition: perTransition(after.commits - before.commits),
    dbKibInPerTransition: perTransition(after.bytesIn - before.bytesIn) / 1024,
    dbKibOutPerTransition: perTransition(after.bytesOut - before.bytesOut) / 1024,
    /** Pages InnoDB had to read from disk (not in its buffer pool). */
    diskReadsPerTransition: perTransition(after.diskReads - before.diskReads),
    /** Bytes InnoDB wrote to its redo log: what every commit flushes, and what fills the log towards a checkpoint. */
    redoKibPerTransition: perTransition(after.redoBytes - before.redoBytes) / 1024,
    /** Pages InnoDB wrote back to its data files (the page cleaner's work, and what a checkpoint waits for). */
    pagesFlushedPerTransition: perTransition(after.pagesFlushed - before.pagesFlushed),
    /** Row lock waits per 1,000 transitions, and the mean wait. */
    lockWaitsPer1k: 1000 * perTransition(after.lockWaits - before.lockWaits),
    lockWaitMeanMs: (after.lockWaitMs - before.lockWaitMs) / Math.max(1, after.lockWaits - before.lockWaits),
    /** The share of the box's CPU time the hypervisor gave to others: a round with much of it is a disturbed one. */
    stealPct: (100 * (after.box.steal - before.box.steal)) / Math.max(1, after.box.total - before.box.total),
  };
}

/**
 * Where a worker's time went, from its /metrics: mean ms from delivery to ack of an event, mean
 * age of the oldest event of a published outbox batch, and events per published batch.
 */
async function workerStages(port: number): Promise<{ handleMs: number; outboxLagMs: number; eventsPerPublish: number; cached: string }> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  const handleSum = value(/^flow_manager_handle_seconds_sum\{queue="[^"]*subscribe[^"]*"\} (\S+)$/m);
  const handleCount = value(/^flow_manager_handle_seconds_count\{queue="[^"]*subscribe[^"]*"\} (\S+)$/m);
  const lagSum = value(/^flow_manager_outbox_lag_seconds_sum (\S+)$/m);
  const lagCount = value(/^flow_manager_outbox_lag_seconds_count (\S+)$/m);
  const published = value(/^flow_manager_events_published_total (\S+)$/m);
  // Group commits tried from the state cache, by outcome.
  const cached = [...text.matchAll(/^flow_manager_cached_batches_total\{outcome="(\w+)"\} (\S+)$/gm)].map(([, outcome, n]) => `${outcome} ${n}`).join(', ') || 'none';
  return { handleMs: (1000 * handleSum) / handleCount, outboxLagMs: (1000 * lagSum) / lagCount, eventsPerPublish: published / lagCount, cached };
}

/** The whole box's CPU ticks so far, and those stolen by the hypervisor (the first line of /proc/stat). */
function boxTicks(): { steal: number; total: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return { steal: ticks[7] ?? 0, total: ticks.reduce((sum, t) => sum + t, 0) };
}

/** CPU seconds and peak RSS (MiB) of a process, from /proc. */
function usage(pid: number): { cpuSeconds: number; peakRssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: ticks / 100, peakRssMiB: Number(hwm?.[1] ?? 0) / 1024 };
}

/**
 * The CPU seconds of `pids` and the services' counters when the warm-up ends (`onMeasure`), so
 * that every figure of a run is of its measured window.
 */
function measuredWindow(pids: number[]) {
  let start: { cpuSeconds: number[]; services: Awaited<ReturnType<typeof serviceCounters>> } | null = null;
  const checkpoint = checkpointSampler(sql);
  return {
    onMeasure: async () => {
      start = { cpuSeconds: pids.map((pid) => usage(pid).cpuSeconds), services: await serviceCounters() };
      checkpoint.start();
    },
    /** The CPU seconds at the start, and the services' figures over the window, read as it ends. */
    end: async (m: Measure) => {
      if (!start) throw new Error('the measured window never started');
      const peakCheckpointPct = await checkpoint.stop();
      return { cpuSeconds: start.cpuSeconds, figures: { ...serviceFigures(start.services, await serviceCounters(), m), peakCheckpointPct } };
    },
  };
}

async function measureWorkers(count: number, label: string, channel: amqp.Channel, flow: { customer: string; id: string }, rate?: number, env: Record<string, string> = {}) {
  await settle(sql);
  const workers = await Promise.all(Array.from({ length: count }, () => spawnScript('src/main.ts', env)));
  const window = measuredWindow(workers.map((w) => w.pid!));
  const m = await driveOurs(channel, { callExchange: names.SUBSCRIBE_EXCHANGES, eventExchange: names.EXCHANGE_EVENT }, flow.customer, flow.id, createLoop(rate ? 60 : CONCURRENCY, rate), WARMUP, SECONDS, window.onMeasure);
  const after = workers.map((w) => usage(w.pid!));
  const { cpuSeconds, figures } = await window.end(m);
  const stages = await workerStages(workers[0]!.port!);
  console.log(`  worker 1: delivery to ack ${stages.handleMs.toFixed(1)} ms mean; outbox lag ${stages.outboxLagMs.toFixed(1)} ms mean; ${stages.eventsPerPublish.toFixed(1)} events per outbox batch; batches from the state cache: ${stages.cached}`);
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
  const cpu = after.reduce((s, a, i) => s + a.cpuSeconds - cpuSeconds[i]!, 0) / m.seconds;
  return { label, ...m, cpuCores: cpu, peakRssMiB: Math.max(...after.map((a) => a.peakRssMiB)), ...figures };
}

async function measureFloor(label: string, channel: amqp.Channel, rate?: number) {
  await settle(sql);
  const floor = await spawnScript('bench/floor.ts');
  const window = measuredWindow([floor.pid!]);
  const m = await driveFloor(channel, createLoop(rate ? 60 : CONCURRENCY, rate), WARMUP, SECONDS, window.onMeasure);
  const after = usage(floor.pid!);
  const { cpuSeconds, figures } = await window.end(m);
  floor.kill('SIGTERM');
  await new Promise((r) => floor.once('exit', r));
  return { label, ...m, cpuCores: (after.cpuSeconds - cpuSeconds[0]!) / m.seconds, peakRssMiB: after.peakRssMiB, ...figures };
}

type MeasuredRow = { label: string } & Measure & { cpuCores: number; peakRssMiB: number; peakCheckpointPct: number } & ReturnType<typeof serviceFigures>;

/** Runs of one kind as one row: their latencies pooled, every other figure their mean. */
function pooled(label: string, runs: MeasuredRow[]): MeasuredRow {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const mean = (figure: (r: MeasuredRow) => number) => runs.reduce((sum, r) => sum + figure(r), 0) / runs.length;
  const means = Object.fromEntries(Object.keys(runs[0]!).filter((k) => typeof runs[0]![k as keyof MeasuredRow] === 'number').map((k) => [k, mean((r) => r[k as keyof MeasuredRow] as number)]));
  return {
    ...(means as unknown as MeasuredRow),
    label,
    transitions: runs.reduce((sum, r) => sum + r.transitions, 0),
    seconds: runs.reduce((sum, r) => sum + r.seconds, 0),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
    peakCheckpointPct: Math.max(...runs.map((r) => r.peakCheckpointPct)),
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: latencies.at(-1) ?? NaN,
    latencies,
  };
}

/** The run as a markdown table (copied to bench/RESULTS.md when performance changes). */
function markdown(summary: { when: string; machine: object; settings: object; offered: { rate: number; rounds: number; roundsOursNotWorse: number; floor: { p50Ms: number; p99Ms: number }; ours: { p50Ms: number; p99Ms: number } }; ratioToFloor: number; largeVsSmall: number; countGroupedMs: { all: number; runningOnly: number; scanAll: number; rows: number } }, measured: MeasuredRow[]): string {
  const lines = [
    `Run of ${summary.when} on ${JSON.stringify(summary.machine)}, settings ${JSON.stringify(summary.settings)}.`,
    '',
    '| run | transitions/s | p50 ms | p99 ms | max ms | worker CPU (cores) | peak RSS MiB | broker CPU | MariaDB CPU | load generator CPU | statements / transition | commits / transition | KiB to / from MariaDB per transition | InnoDB disk reads / transition | InnoDB redo KiB / transition | pages flushed / transition | peak checkpoint age % | row lock waits / 1k transitions (mean ms) | CPU steal % |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...measured.map((r) => `| ${r.label} | ${r.perSecond.toFixed(0)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.maxMs.toFixed(0)} | ${r.cpuCores.toFixed(2)} | ${r.peakRssMiB.toFixed(0)} | ${r.brokerCores.toFixed(2)} | ${r.databaseCores.toFixed(2)} | ${r.driverCores.toFixed(2)} | ${r.statementsPerTransition.toFixed(2)} | ${r.commitsPerTransition.toFixed(2)} | ${r.dbKibInPerTransition.toFixed(1)} / ${r.dbKibOutPerTransition.toFixed(1)} | ${r.diskReadsPerTransition.toFixed(2)} | ${r.redoKibPerTransition.toFixed(1)} | ${r.pagesFlushedPerTransition.toFixed(2)} | ${r.peakCheckpointPct.toFixed(0)} | ${r.lockWaitsPer1k.toFixed(1)} (${r.lockWaitMeanMs.toFixed(1)}) | ${r.stealPct.toFixed(1)} |`),
    '',
    `Throughput ratio ours/floor at saturation (1 worker, small table): **${summary.ratioToFloor.toFixed(2)}**.`,
    `Offered ${summary.offered.rate}/s, ${summary.offered.rounds} rounds taking turns, latencies pooled: p50 ours **${summary.offered.ours.p50Ms.toFixed(1)}** against the floor's **${summary.offered.floor.p50Ms.toFixed(1)} ms**, p99 ours **${summary.offered.ours.p99Ms.toFixed(1)}** against **${summary.offered.floor.p99Ms.toFixed(1)} ms**; ours' p50 at or under the floor's in ${summary.offered.roundsOursNotWorse} of ${summary.offered.rounds} rounds.`,
    `Throughput with ${summary.countGroupedMs.rows} rows against the small table (means of two runs each, taking turns small, large, large, small): **${(100 * summary.largeVsSmall).toFixed(1)} %**.`,
    `Count grouped by current_action_type over ${summary.countGroupedMs.rows} rows (activeflow_counts): ${summary.countGroupedMs.all.toFixed(1)} ms over all statuses, ${summary.countGroupedMs.runningOnly.toFixed(1)} ms for running ones (median of 7); scanning activeflows instead: ${summary.countGroupedMs.scanAll.toFixed(1)} ms.`,
    '',
  ];
  return lines.join('\n');
}

/**
 * BENCH_SOAK_SECONDS=600: one worker at saturation for that long, its RSS sampled every 30 s
 * (is memory flat?); prints the samples and exits without the other runs.
 */
async function soak(): Promise<never> {
  const worker = await spawnScript('src/main.ts');
  const samples: string[] = [];
  const sampler = setInterval(() => {
    const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${worker.pid}/status`, 'utf8'));
    samples.push((Number(rss?.[1] ?? 0) / 1024).toFixed(0));
  }, 30_000);
  const m = await driveOurs(channel, { callExchange: names.SUBSCRIBE_EXCHANGES, eventExchange: names.EXCHANGE_EVENT }, flow.customer, flow.id, createLoop(CONCURRENCY), WARMUP, SOAK);
  clearInterval(sampler);
  console.log(`soak ${SOAK} s at saturation: ${m.perSecond.toFixed(0)}/s, ${m.transitions} transitions; RSS MiB every 30 s: ${samples.join(' ')}`);
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  await cleanUp();
  process.exit(0);
}

/** Deletes the run's queues, exchanges and database. */
async function cleanUp(): Promise<void> {
  for (const q of [names.QUEUE_REQUEST, names.QUEUE_SUBSCRIBE, names.DEAD_LETTER_QUEUE, 'bench.floor.in']) await channel.deleteQueue(q);
  for (const x of [names.EXCHANGE_EVENT, names.SUBSCRIBE_EXCHANGES, 'bench.floor.out']) await channel.deleteExchange(x);
  await connection.close();
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
  await admin.query(`DROP DATABASE IF EXISTS ${DB_LARGE}`);
  await admin.end();
  await sql.end();
}

async function timeQuery(sql: Awaited<ReturnType<typeof createConnection>>, text: string): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    await sql.query(text);
    runs.push(performance.now() - t);
  }
  return runs.sort((a, b) => a - b)[3]!;
}

const admin = await createConnection({ uri: MYSQL });
await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
await admin.query(`DROP DATABASE IF EXISTS ${DB_LARGE}`);
/** Creates a database and its tables: a worker started on it migrates it (and is stopped). */
async function createDatabase(name: string): Promise<Awaited<ReturnType<typeof createConnection>>> {
  const boot = await spawnScript('src/main.ts', { DATABASE_URL: `${MYSQL}/${name}` });
  boot.kill('SIGTERM');
  await new Promise((r) => boot.once('exit', r));
  return createConnection({ uri: `${MYSQL}/${name}` });
}
const sql = await createDatabase(DB);
const connection = await amqp.connect(AMQP_URL, { noDelay: true });
const channel = await connection.createChannel();

const customer = randomUUID();
const flowId = randomUUID();
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const actions = [
  { id: id(1), next_id: id(0), type: 'answer', option: {} },
  { id: id(2), next_id: id(0), type: 'talk', option: { text: 'menu' } },
  { id: id(3), next_id: id(0), type: 'digits_receive', option: { length: 1 } },
  { id: id(4), next_id: id(0), type: 'branch', option: { target_ids: { '1': id(5) }, default_target_id: id(5) } },
  { id: id(5), next_id: id(0), type: 'talk', option: { text: 'bye' } },
  { id: id(6), next_id: id(0), type: 'hangup', option: {} },
].map((a) => ({ ...a, next_id: '00000000-0000-0000-0000-000000000000' }));
/** The bench's flow, in a database. */
const insertFlow = (conn: typeof sql) =>
  conn.query(
    `INSERT INTO flows (id, customer_id, type, name, detail, actions, on_complete_flow_id, seq, tm_create, tm_update, tm_delete)
     VALUES (?, ?, 'flow', 'bench', '', ?, '00000000-0000-0000-0000-000000000000', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', '9999-01-01 00:00:00')`,
    [flowId, customer, JSON.stringify(actions)],
  );
await insertFlow(sql);
const flow = { customer, id: flowId };
const rows: MeasuredRow[] = [];
const log = (r: MeasuredRow): MeasuredRow => {
  rows.push(r);
  console.log(`${r.label.padEnd(34)} ${r.perSecond.toFixed(0).padStart(7)}/s  p50 ${r.p50Ms.toFixed(1).padStart(6)} ms  p99 ${r.p99Ms.toFixed(1).padStart(7)} ms  max ${r.maxMs.toFixed(0).padStart(6)} ms  cpu ${r.cpuCores.toFixed(2)}  rss ${r.peakRssMiB.toFixed(0)} MiB  broker ${r.brokerCores.toFixed(2)}  db ${r.databaseCores.toFixed(2)}  driver ${r.driverCores.toFixed(2)}  stmts/t ${r.statementsPerTransition.toFixed(2)}  commits/t ${r.commitsPerTransition.toFixed(2)}  db KiB/t in ${r.dbKibInPerTransition.toFixed(1)} out ${r.dbKibOutPerTransition.toFixed(1)}  disk reads/t ${r.diskReadsPerTransition.toFixed(2)}  redo KiB/t ${r.redoKibPerTransition.toFixed(1)}  flushed/t ${r.pagesFlushedPerTransition.toFixed(2)}  checkpoint peak ${r.peakCheckpointPct.toFixed(0)} %  lock waits/1k ${r.lockWaitsPer1k.toFixed(1)} (mean ${r.lockWaitMeanMs.toFixed(1)} ms)  steal ${r.stealPct.toFixed(1)} %`);
  return r;
};

await prefill(sql, SMALL, randomUUID(), randomUUID());
console.log(`prefilled ${SMALL} rows; InnoDB settled ${(await settle(sql)).toFixed(0)} s later`);
if (SOAK > 0) await soak();
if (process.env.BENCH_LATENCY) {
  // BENCH_LATENCY=1: only the offered-rate runs (BENCH_LATENCY=saturation: the saturation runs),
  // BENCH_ROUNDS rounds of the floor, ours, and ours with the worker settings of BENCH_VARIANT
  // (`NAME=value,...`; by default the state cache off), for comparing within one run.
  const rate = process.env.BENCH_LATENCY === 'saturation' ? undefined : RATE;
  const at = rate ? `offered ${RATE}/s` : 'saturation';
  const variantEnv = Object.fromEntries((process.env.BENCH_VARIANT ?? 'STATE_CACHE_SIZE=0').split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const variantLabel = Object.entries(variantEnv).map(([k, v]) => `${k}=${v}`).join(' ');
  // The run right after the floor's finds InnoDB still purging what the floor left: the two
  // variants take turns at going first.
  for (let round = 1; round <= ROUNDS; round++) {
    log(await measureFloor(`floor, ${at} (${round})`, channel, rate));
    const variants = [
      () => measureWorkers(1, `ours, ${at} (${round})`, channel, flow, rate),
      () => measureWorkers(1, `ours, ${variantLabel}, ${at} (${round})`, channel, flow, rate, variantEnv),
    ];
    for (const variant of round % 2 === 1 ? variants : variants.reverse()) log(await variant());
  }
  await cleanUp();
  process.exit(0);
}
log(await measureFloor('floor, saturation', channel));
log(await measureWorkers(1, `ours 1 worker, saturation, ${SMALL} rows`, channel, flow));
// The offered rate: one round of 10 s each is at the mercy of a slow spell of the box (one side's
// p50 tripled in some rounds), so RATE_ROUNDS rounds take turns at going first and each side's
// latencies are pooled.
const offeredFloor: MeasuredRow[] = [];
const offeredOurs: MeasuredRow[] = [];
for (let round = 1; round <= RATE_ROUNDS; round++) {
  const floorRun = async () => offeredFloor.push(log(await measureFloor(`floor, offered ${RATE}/s (${round})`, channel, RATE)));
  const oursRun = async () => offeredOurs.push(log(await measureWorkers(1, `ours 1 worker, offered ${RATE}/s (${round})`, channel, flow, RATE)));
  for (const run of round % 2 === 1 ? [floorRun, oursRun] : [oursRun, floorRun]) await run();
}
const offered = RATE_ROUNDS > 1 ? { floor: log(pooled(`floor, offered ${RATE}/s, ${RATE_ROUNDS} rounds pooled`, offeredFloor)), ours: log(pooled(`ours 1 worker, offered ${RATE}/s, ${RATE_ROUNDS} rounds pooled`, offeredOurs)) } : { floor: offeredFloor[0]!, ours: offeredOurs[0]! };
const roundsOursNotWorse = offeredOurs.filter((r, i) => r.p50Ms <= offeredFloor[i]!.p50Ms).length;
console.log(`offered ${RATE}/s: p50 ours ${offered.ours.p50Ms.toFixed(1)} ms, floor ${offered.floor.p50Ms.toFixed(1)} ms; p99 ours ${offered.ours.p99Ms.toFixed(1)} ms, floor ${offered.floor.p99Ms.toFixed(1)} ms; ours' p50 at or under the floor's in ${roundsOursNotWorse} of ${RATE_ROUNDS} rounds`);
if (process.env.BENCH_QUICK) {
  // BENCH_QUICK=1: only the four one-worker/floor runs above, for iterating on a change.
  await cleanUp();
  process.exit(0);
}
log(await measureWorkers(2, 'ours 2 workers, saturation', channel, flow));
// Table size against run-to-run noise (the same run twice differed by up to 11 % here): the large
// table lives in a database of its own, prefilled once, and the runs take turns on the two in the
// order small, large, large, small, so that a drift of the box over those minutes weighs on both
// means alike; the means are compared. (The small table grows by the rows each run starts.)
const t0 = performance.now();
const sqlLarge = await createDatabase(DB_LARGE);
await insertFlow(sqlLarge);
await prefill(sqlLarge, LARGE, randomUUID(), randomUUID());
const prefillSeconds = (performance.now() - t0) / 1000;
const settleSeconds = await settle(sql);
console.log(`prefilled ${LARGE} rows in ${prefillSeconds.toFixed(0)} s; InnoDB settled (dirty pages written, history purged) ${settleSeconds.toFixed(0)} s later`);
const onLarge = { DATABASE_URL: `${MYSQL}/${DB_LARGE}` };
const small: Measure[] = [];
const large: Measure[] = [];
small.push(log(await measureWorkers(1, `ours 1 worker, saturation, ${SMALL} rows, again`, channel, flow)));
large.push(log(await measureWorkers(1, `ours 1 worker, saturation, ${LARGE} rows`, channel, flow, undefined, onLarge)));
large.push(log(await measureWorkers(1, `ours 1 worker, saturation, ${LARGE} rows, again`, channel, flow, undefined, onLarge)));
small.push(log(await measureWorkers(1, `ours 1 worker, saturation, ${SMALL} rows, third`, channel, flow)));
const meanRate = (runs: Measure[]) => runs.reduce((sum, r) => sum + r.perSecond, 0) / runs.length;
const largeVsSmall = meanRate(large) / meanRate(small) - 1;
console.log(`${LARGE} rows vs ${SMALL} rows (means of two runs each, taking turns): ${(100 * largeVsSmall).toFixed(1)} %`);
// What GET /v1/activeflows/count?group_by=current_action_type runs (src/adapters/db/store.ts).
const countAll = await timeQuery(sqlLarge, 'SELECT current_action_type, SUM(n) FROM activeflow_counts WHERE deleted = 0 GROUP BY current_action_type HAVING SUM(n) > 0');
const countRunning = await timeQuery(sqlLarge, "SELECT current_action_type, SUM(n) FROM activeflow_counts WHERE status = 'running' AND deleted = 0 GROUP BY current_action_type HAVING SUM(n) > 0");
const scanAll = await timeQuery(sqlLarge, 'SELECT current_action_type, COUNT(*) FROM activeflows WHERE deleted = 0 GROUP BY current_action_type');
const [[check]] = (await sqlLarge.query('SELECT (SELECT SUM(n) FROM activeflow_counts) AS counted, (SELECT COUNT(*) FROM activeflows) AS actual')) as any;
console.log(`count grouped by current_action_type over ${LARGE} rows: ${countAll.toFixed(1)} ms all statuses, ${countRunning.toFixed(1)} ms running (median of 7); the same by scanning activeflows ${scanAll.toFixed(1)} ms; counts ${check.counted} = rows ${check.actual}`);

const floorSat = rows[0] as unknown as Measure;
const oursSat = rows[1] as unknown as Measure;
const summary = {
  when: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30) },
  settings: { seconds: SECONDS, warmupSeconds: WARMUP, concurrency: CONCURRENCY, offeredRate: RATE, prefetch: PREFETCH, pool: POOL },
  // Without the latency samples (thousands per run).
  results: rows.map((row) => ({ ...row, latencies: undefined })),
  offered: { rate: RATE, rounds: RATE_ROUNDS, roundsOursNotWorse, floor: { p50Ms: offered.floor.p50Ms, p99Ms: offered.floor.p99Ms }, ours: { p50Ms: offered.ours.p50Ms, p99Ms: offered.ours.p99Ms } },
  ratioToFloor: oursSat.perSecond / floorSat.perSecond,
  largeVsSmall,
  countGroupedMs: { all: countAll, runningOnly: countRunning, scanAll, rows: LARGE },
};
console.log(`throughput ratio ours/floor at saturation: ${summary.ratioToFloor.toFixed(2)}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', JSON.stringify(summary, null, 2));
writeFileSync('bench/results/latest.md', markdown(summary, rows));
await sqlLarge.end();
await cleanUp();
process.exit(0);
