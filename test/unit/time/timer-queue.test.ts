import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimerQueue, timerScope, type TimerScope } from '../../../src/time/timer-queue.ts';

const scope = (key: string | number, keyGroup = 0): TimerScope<null> => timerScope(key, keyGroup, null);

function drain<N>(q: TimerQueue<N>, upTo = Infinity): Array<[string | number, number]> {
  const out: Array<[string | number, number]> = [];
  for (let t = q.pollDue(upTo); t !== undefined; t = q.pollDue(upTo)) out.push([t.scope.key, t.time]);
  return out;
}

describe('TimerQueue', () => {
  it('pollDue returns timers with time <= upTo in time order, and nothing later', () => {
    const q = new TimerQueue<null>();
    const a = scope('a');
    q.register(a, 30);
    q.register(a, 10);
    q.register(a, 20);
    q.register(a, 40);
    expect(drain(q, 25)).toEqual([
      ['a', 10],
      ['a', 20],
    ]);
    expect(q.pollDue(29)).toBeUndefined();
    expect(drain(q, 30)).toEqual([['a', 30]]);
    expect(q.peekTime()).toBe(40);
  });

  it('equal times fire in registration order', () => {
    const q = new TimerQueue<null>();
    const keys = ['k3', 'k1', 'k2', 'k0'];
    for (const k of keys) q.register(scope(k), 5);
    expect(drain(q).map(([k]) => k)).toEqual(keys);
  });

  it('registering the same (scope, time) twice keeps one timer', () => {
    const q = new TimerQueue<null>();
    const a = scope('a');
    q.register(a, 7);
    q.register(a, 7);
    expect(drain(q)).toEqual([['a', 7]]);
    expect(q.pollDue(Infinity)).toBeUndefined();
  });

  it('the same time in different scopes is two timers', () => {
    const q = new TimerQueue<null>();
    q.register(scope('a'), 7);
    q.register(scope('b'), 7);
    expect(drain(q)).toEqual([
      ['a', 7],
      ['b', 7],
    ]);
  });

  it('delete is lazy but effective: a deleted timer never fires and peekTime skips it', () => {
    const q = new TimerQueue<null>();
    const a = scope('a');
    const b = scope('b');
    q.register(a, 1);
    q.register(b, 2);
    q.register(a, 3);
    q.delete(a, 1);
    expect(q.peekTime()).toBe(2);
    q.delete(b, 2);
    expect(q.peekTime()).toBe(3);
    expect(drain(q)).toEqual([['a', 3]]);
    expect(q.peekTime()).toBeUndefined();
  });

  it('deleting a timer that does not exist, or in another scope, changes nothing', () => {
    const q = new TimerQueue<null>();
    const a = scope('a');
    q.register(a, 5);
    q.delete(a, 6);
    q.delete(scope('a'), 5); // a different scope object for the same key is a different scope
    q.delete(scope('zzz'), 5);
    expect(drain(q)).toEqual([['a', 5]]);
  });

  it('a timer deleted and registered again fires once', () => {
    const q = new TimerQueue<null>();
    const a = scope('a');
    q.register(a, 5);
    q.delete(a, 5);
    q.register(a, 5);
    expect(drain(q)).toEqual([['a', 5]]);
  });

  it('a timer deleted and registered again is listed once by live() (no duplicate in snapshots)', () => {
    const q = new TimerQueue<null>();
    const a = scope('a');
    q.register(a, 5);
    q.delete(a, 5);
    q.register(a, 5);
    expect([...q.live()].map((t) => [t.scope.key, t.time])).toEqual([['a', 5]]);
  });

  it('a timer deleted and registered again counts as registered last among equal times', () => {
    const q = new TimerQueue<null>();
    const a = scope('a');
    const b = scope('b');
    q.register(a, 5);
    q.register(b, 5);
    q.delete(a, 5);
    q.register(a, 5);
    expect(drain(q).map(([k]) => k)).toEqual(['b', 'a']);
  });

  it('a fired timer may be registered again and fires again', () => {
    const q = new TimerQueue<null>();
    const a = scope('a');
    q.register(a, 5);
    expect(drain(q)).toEqual([['a', 5]]);
    q.register(a, 5);
    expect(drain(q)).toEqual([['a', 5]]);
  });

  it('live() lists exactly the registered, undeleted, unfired timers', () => {
    const q = new TimerQueue<null>();
    const a = scope('a');
    const b = scope('b');
    q.register(a, 1);
    q.register(a, 2);
    q.register(b, 3);
    q.delete(a, 2);
    q.pollDue(1);
    expect([...q.live()].map((t) => [t.scope.key, t.time])).toEqual([['b', 3]]);
  });

  it('property: matches a simple reference model under random register/delete/poll', () => {
    type Op = { op: 'reg'; key: number; time: number } | { op: 'del'; key: number; time: number } | { op: 'poll'; upTo: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant<'reg'>('reg'), key: fc.integer({ min: 0, max: 3 }), time: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ op: fc.constant<'del'>('del'), key: fc.integer({ min: 0, max: 3 }), time: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ op: fc.constant<'poll'>('poll'), upTo: fc.integer({ min: -1, max: 22 }) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const q = new TimerQueue<null>();
        const scopes = [0, 1, 2, 3].map((k) => scope(k));
        // reference: set of live (key, time); fired in (time, key-insertion) order — compare as time-sorted sets
        const live = new Set<string>();
        for (const o of ops) {
          if (o.op === 'reg') {
            q.register(scopes[o.key]!, o.time);
            live.add(`${o.key}:${o.time}`);
          } else if (o.op === 'del') {
            q.delete(scopes[o.key]!, o.time);
            live.delete(`${o.key}:${o.time}`);
          } else {
            const fired = drain(q, o.upTo);
            const expected = [...live].filter((s) => Number(s.split(':')[1]) <= o.upTo);
            expect(fired.map(([k, t]) => `${k}:${t}`).sort()).toEqual(expected.sort());
            for (let i = 1; i < fired.length; i++) expect(fired[i]![1]).toBeGreaterThanOrEqual(fired[i - 1]![1]);
            for (const e of expected) live.delete(e);
          }
          const times = [...live].map((s) => Number(s.split(':')[1]));
          expect(q.peekTime()).toBe(times.length > 0 ? Math.min(...times) : undefined);
        }
      }),
    );
  });
});
