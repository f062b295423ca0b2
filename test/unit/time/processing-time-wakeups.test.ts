import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProcessingTimeWakeups } from '../../../src/time/processing-time-wakeups.ts';

describe('ProcessingTimeWakeups', () => {
  it('asks the runtime once for a timer registered again and again', () => {
    const asked: number[] = [];
    const w = new ProcessingTimeWakeups((t) => asked.push(t));
    for (let i = 0; i < 1000; i++) w.request(500);
    expect(asked).toEqual([500]);
  });

  it('asks again only when a timer becomes earlier than every pending wake-up', () => {
    const asked: number[] = [];
    const w = new ProcessingTimeWakeups((t) => asked.push(t));
    w.request(500);
    w.request(700);
    w.request(300);
    w.request(400);
    expect(asked).toEqual([500, 300]);
  });

  it('after a wake-up asks for the next timer, and not when none is left', () => {
    const asked: number[] = [];
    const w = new ProcessingTimeWakeups((t) => asked.push(t));
    w.request(100);
    w.fired(100, 200);
    w.request(250);
    w.fired(200, undefined);
    w.request(900);
    expect(asked).toEqual([100, 200, 900]);
  });

  it('a stale wake-up before the pending one changes nothing', () => {
    const asked: number[] = [];
    const w = new ProcessingTimeWakeups((t) => asked.push(t));
    w.request(100);
    w.fired(50, 100);
    w.request(150);
    expect(asked).toEqual([100]);
  });

  it('every timer is covered by a wake-up at or before it (random registrations and wake-ups)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.record({ register: fc.integer({ min: 0, max: 1000 }) }), fc.constant('advance' as const)), { maxLength: 60 }), (ops) => {
        // A model runtime: a list of wake-ups; the operator's timers: a list of times.
        let now = 0;
        let wakeupsAsked: number[] = [];
        let timers: number[] = [];
        const w = new ProcessingTimeWakeups((t) => wakeupsAsked.push(t));
        const fire = () => {
          const due = wakeupsAsked.filter((t) => t <= now);
          wakeupsAsked = wakeupsAsked.filter((t) => t > now);
          for (let i = 0; i < due.length; i++) {
            timers = timers.filter((t) => t > now);
            w.fired(now, timers.length > 0 ? Math.min(...timers) : undefined);
          }
        };
        for (const op of ops) {
          if (op === 'advance') {
            now = timers.length > 0 ? Math.min(...timers) : now + 1;
            fire();
          } else {
            const time = now + op.register;
            timers.push(time);
            w.request(time);
          }
          // No timer is left without a wake-up that will reach it.
          if (timers.length > 0) expect(Math.min(...wakeupsAsked)).toBeLessThanOrEqual(Math.min(...timers));
        }
      }),
    );
  });
});
