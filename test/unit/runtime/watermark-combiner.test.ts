import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WatermarkCombiner } from '../../../src/runtime/watermark-combiner.ts';

describe('WatermarkCombiner', () => {
  it('starts at -Infinity and reports nothing until every input has a watermark', () => {
    const c = new WatermarkCombiner(3);
    expect(c.current).toBe(-Infinity);
    expect(c.update(0, 10)).toBeUndefined();
    expect(c.update(1, 20)).toBeUndefined();
    expect(c.update(2, 5)).toBe(5);
    expect(c.current).toBe(5);
  });

  it('is the minimum over inputs and reports only when that minimum advances', () => {
    const c = new WatermarkCombiner(2);
    expect(c.update(0, 10)).toBeUndefined();
    expect(c.update(1, 10)).toBe(10);
    expect(c.update(0, 30)).toBeUndefined(); // min still 10
    expect(c.update(1, 20)).toBe(20);
    expect(c.update(1, 20)).toBeUndefined(); // no change
    expect(c.update(1, 40)).toBe(30);
  });

  it('an input going back does not lower its watermark nor the combined one', () => {
    const c = new WatermarkCombiner(2);
    c.update(0, 10);
    c.update(1, 10);
    expect(c.update(0, 5)).toBeUndefined();
    expect(c.update(1, 50)).toBeUndefined(); // input 0 still counts as 10
    expect(c.current).toBe(10);
    expect(c.update(0, 11)).toBe(11);
  });

  it('with a single input forwards every advancing watermark', () => {
    const c = new WatermarkCombiner(1);
    expect(c.update(0, 1)).toBe(1);
    expect(c.update(0, 1)).toBeUndefined();
    expect(c.update(0, 0)).toBeUndefined();
    expect(c.update(0, 2)).toBe(2);
    expect(c.update(0, Infinity)).toBe(Infinity);
  });

  it('leaves an idle input out of the minimum', () => {
    const c = new WatermarkCombiner(2);
    c.update(0, 100);
    expect(c.markIdle(1)).toBe(100);
    expect(c.isIdle(1)).toBe(true);
    expect(c.update(0, 200)).toBe(200);
  });

  it('an idle input that becomes active again counts again, but the combined watermark never goes back', () => {
    const c = new WatermarkCombiner(2);
    c.update(0, 100);
    c.markIdle(1);
    c.markActive(1);
    expect(c.isIdle(1)).toBe(false);
    expect(c.current).toBe(100);
    expect(c.update(0, 300)).toBeUndefined(); // input 1 (at -Infinity) holds it back again
    expect(c.update(1, 50)).toBeUndefined(); // below current: no regression
    expect(c.current).toBe(100);
    expect(c.update(1, 250)).toBe(250);
  });

  it('a watermark from an idle input makes it active again', () => {
    const c = new WatermarkCombiner(2);
    c.update(0, 100);
    c.markIdle(1);
    expect(c.update(1, 150)).toBeUndefined(); // min(100, 150) = 100, no advance
    expect(c.isIdle(1)).toBe(false);
    expect(c.update(0, 400)).toBe(150);
  });

  it('when every input is idle nothing is reported and isAllIdle() is true', () => {
    const c = new WatermarkCombiner(2);
    c.update(0, 5);
    c.update(1, 7);
    expect(c.markIdle(0)).toBe(7);
    expect(c.isAllIdle()).toBe(false);
    expect(c.markIdle(1)).toBeUndefined();
    expect(c.isAllIdle()).toBe(true);
    expect(c.current).toBe(7);
  });

  it('idleChanged() reports flips of the all-idle state once', () => {
    const c = new WatermarkCombiner(2);
    expect(c.idleChanged()).toBe(false);
    c.markIdle(0);
    expect(c.idleChanged()).toBe(false);
    c.markIdle(1);
    expect(c.idleChanged()).toBe(true);
    expect(c.idleChanged()).toBe(false);
    c.markActive(0);
    expect(c.idleChanged()).toBe(true);
    expect(c.idleChanged()).toBe(false);
  });

  it('an ended input is left out; when all ended, allEnded() and nothing more is reported', () => {
    const c = new WatermarkCombiner(3);
    c.update(0, 10);
    c.update(1, 20);
    expect(c.markEnded(2)).toBe(10);
    expect(c.markEnded(0)).toBe(20);
    expect(c.allEnded()).toBe(false);
    expect(c.isAllIdle()).toBe(false);
    expect(c.markEnded(1)).toBeUndefined();
    expect(c.allEnded()).toBe(true);
    expect(c.isAllIdle()).toBe(false); // no running input: not "idle"
  });

  it('idle inputs that have ended do not count as running', () => {
    const c = new WatermarkCombiner(2);
    c.markIdle(0);
    c.markEnded(1);
    expect(c.isAllIdle()).toBe(true);
  });

  it('property: reported watermarks are strictly increasing and equal min over active inputs at that moment', () => {
    type Op = { kind: 'wm'; input: number; time: number } | { kind: 'idle'; input: number } | { kind: 'active'; input: number } | { kind: 'end'; input: number };
    const opArb = (n: number): fc.Arbitrary<Op> =>
      fc.oneof(
        { weight: 6, arbitrary: fc.record({ kind: fc.constant<'wm'>('wm'), input: fc.integer({ min: 0, max: n - 1 }), time: fc.integer({ min: -50, max: 200 }) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant<'idle'>('idle'), input: fc.integer({ min: 0, max: n - 1 }) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant<'active'>('active'), input: fc.integer({ min: 0, max: n - 1 }) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant<'end'>('end'), input: fc.integer({ min: 0, max: n - 1 }) }) },
      );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.constant(n), fc.array(opArb(n), { maxLength: 60 }))),
        ([n, ops]) => {
          const c = new WatermarkCombiner(n);
          const wm = new Array<number>(n).fill(-Infinity);
          const idle = new Array<boolean>(n).fill(false);
          const ended = new Array<boolean>(n).fill(false);
          let last = -Infinity;
          for (const op of ops) {
            let reported: number | undefined;
            if (op.kind === 'wm') {
              wm[op.input] = Math.max(wm[op.input]!, op.time);
              idle[op.input] = false;
              reported = c.update(op.input, op.time);
            } else if (op.kind === 'idle') {
              idle[op.input] = true;
              reported = c.markIdle(op.input);
            } else if (op.kind === 'active') {
              idle[op.input] = false;
              c.markActive(op.input);
            } else {
              ended[op.input] = true;
              reported = c.markEnded(op.input);
            }
            const active = wm.filter((_, i) => !idle[i] && !ended[i]);
            const min = active.length > 0 ? Math.min(...active) : undefined;
            if (reported !== undefined) {
              expect(reported).toBeGreaterThan(last);
              expect(reported).toBe(min);
              last = reported;
            } else if (op.kind !== 'active' && min !== undefined) {
              // not reported: the minimum did not advance past what was already handed out
              expect(min).toBeLessThanOrEqual(last);
            }
            expect(c.current).toBe(last);
          }
        },
      ),
    );
  });
});
