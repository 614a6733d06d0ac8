// The worker's interval jobs (src/periodic.ts): never two runs at once, none after stop.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { every } from '../../src/periodic.ts';

describe('every', () => {
  it('skips the ticks that find the previous run still going, and runs none after stop', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    let release: () => void = () => undefined;
    const job = every(5, async () => {
      runs++;
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => (release = resolve));
      running--;
    });
    await sleep(50); // ten ticks, one run held open
    assert.equal(runs, 1);
    assert.equal(job.busy(), true);
    release();
    await sleep(30);
    assert.ok(runs >= 2, 'a tick after the run ended starts the next');
    assert.equal(most, 1);
    job.stop();
    release();
    await sleep(5);
    const stoppedAt = runs;
    await sleep(50);
    assert.equal(runs, stoppedAt);
    assert.equal(job.busy(), false);
  });

  it('runs again after a run that rejected', async () => {
    let runs = 0;
    const job = every(5, async () => {
      runs++;
      throw new Error('boom');
    });
    await sleep(60);
    job.stop();
    assert.ok(runs >= 2, `ran ${runs} times`);
  });
});
