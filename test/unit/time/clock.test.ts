import { describe, expect, it } from 'vitest';
import { ManualClock, SystemClock } from '../../../src/index.ts';
import { settle } from '../../support/runtime-harness.ts';

describe('ManualClock', () => {
  it('starts where told and moves only when advanced', () => {
    const clock = new ManualClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advanceBy(250);
    expect(clock.now()).toBe(1_250);
    clock.advanceTo(2_000);
    expect(clock.now()).toBe(2_000);
  });

  it('cannot go back in time', () => {
    const clock = new ManualClock(10);
    expect(() => clock.advanceTo(9)).toThrow(RangeError);
    expect(clock.now()).toBe(10);
  });

  it('sleepUntil resolves once the clock reaches the deadline, not before', async () => {
    const clock = new ManualClock(0);
    let woke = false;
    const sleeping = clock.sleepUntil(100).then(() => void (woke = true));
    clock.advanceTo(99);
    await settle(3);
    expect(woke).toBe(false);
    clock.advanceTo(100);
    await sleeping;
    expect(woke).toBe(true);
  });

  it('sleepUntil a past time resolves at once', async () => {
    const clock = new ManualClock(50);
    await clock.sleepUntil(10);
  });

  it('an aborted signal wakes the sleeper early', async () => {
    const clock = new ManualClock(0);
    const abort = new AbortController();
    const sleeping = clock.sleepUntil(1_000_000, abort.signal);
    abort.abort();
    await sleeping;
    expect(clock.now()).toBe(0);
  });
});

describe('SystemClock', () => {
  it('tracks Date.now()', () => {
    const before = Date.now();
    const now = new SystemClock().now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('sleepUntil waits for real time, and an abort ends the wait early', async () => {
    const clock = new SystemClock();
    const start = Date.now();
    await clock.sleepUntil(start + 20);
    expect(Date.now()).toBeGreaterThanOrEqual(start + 19);
    const abort = new AbortController();
    const t0 = Date.now();
    const long = clock.sleepUntil(t0 + 60_000, abort.signal);
    abort.abort();
    await long;
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});
