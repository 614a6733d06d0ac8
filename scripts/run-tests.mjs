// Runs node's test runner over every *.test.ts below the given folders (node 20 does not expand
// globs itself). Usage: node scripts/run-tests.mjs [--concurrency N] DIR|FILE...
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
let concurrency = '2';
const dirs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--concurrency') concurrency = args[++i] ?? '1';
  else dirs.push(args[i]);
}
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.ts')) files.push(path);
  }
};
for (const dir of dirs) {
  if (!existsSync(dir)) continue;
  if (statSync(dir).isDirectory()) walk(dir);
  else files.push(dir);
}
if (files.length === 0) {
  console.error(`no test files under ${dirs.join(', ')}`);
  process.exit(1);
}
// A watchdog instead of --test-force-exit: a test file that leaves a timer or socket open (an
// interval that a failing stop() never clears, say) keeps its process, and so the whole run,
// alive after its tests are done. --test-force-exit ended such files, but it also drops verdicts
// that were still buffered on their way to the parent (nodejs/node#64833): one `npm test` here
// reported 458 of 477 tests, 0 failed, exit 0. So the run gets TEST_RUN_TIMEOUT_MS (20 min;
// `npm test` takes about 75 s on this project's 2-core machine) and then fails, naming the cause.
const timeoutMs = Number(process.env.TEST_RUN_TIMEOUT_MS ?? 20 * 60_000);
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit', detached: true });
const killGroup = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
};
const watchdog = setTimeout(() => {
  console.error(`\ntest run still going after ${timeoutMs / 1000} s: a test file probably left a timer or socket open; stopping it`);
  killGroup('SIGTERM');
  setTimeout(() => killGroup('SIGKILL'), 5000).unref();
  process.exitCode = 1;
}, timeoutMs);
// Ctrl-C or a CI cancel reaches this process; the test processes are in a group of their own.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => killGroup(signal));
child.on('exit', (code, signal) => {
  clearTimeout(watchdog);
  process.exit(process.exitCode || (code ?? (signal ? 1 : 0)));
});
