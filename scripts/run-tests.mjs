// Runs node's test runner over every *.test.ts below the given folders (node 20 does not expand
// globs itself). Usage: node scripts/run-tests.mjs [--concurrency N] DIR|FILE...
import { spawnSync } from 'node:child_process';
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
// --test-force-exit: a test file whose tests are done exits even if it left a timer or socket
// open. Without it, a broken cleanup (an interval that a failing stop() never clears, say) hangs
// the whole run after the failure was reported, until CI's time limit.
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-force-exit', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
