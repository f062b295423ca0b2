import { describe, expect, it } from 'vitest';
import { KeyDictionary } from '../../../src/state/key-dictionary.ts';

describe('KeyDictionary', () => {
  it('gives dense ids in first-seen order, shared by int and other keys', () => {
    const ids = new KeyDictionary();
    expect(ids.idOf(42)).toBe(0);
    expect(ids.idOf('42')).toBe(1);
    expect(ids.idOf(1.5)).toBe(2);
    expect(ids.idOf(2 ** 31)).toBe(3);
    expect(ids.idOf(-(2 ** 31))).toBe(4);
    expect(ids.idOf(42)).toBe(0);
    expect(ids.idOf('42')).toBe(1);
    expect(ids.idOf(1.5)).toBe(2);
    expect(ids.idOf(2 ** 31)).toBe(3);
    expect(ids.idOf(-(2 ** 31))).toBe(4);
    expect(ids.size).toBe(5);
  });

  it('find never assigns', () => {
    const ids = new KeyDictionary();
    expect(ids.find(7)).toBe(-1);
    expect(ids.find('x')).toBe(-1);
    ids.idOf(7);
    expect(ids.find(7)).toBe(0);
    expect(ids.find(8)).toBe(-1);
    expect(ids.size).toBe(1);
  });

  it('keeps every id across growth, for colliding and negative keys', () => {
    const ids = new KeyDictionary();
    const keys: number[] = [];
    for (let i = 0; i < 50_000; i++) keys.push(i % 2 === 0 ? i * 65536 : -i);
    keys.forEach((k, i) => expect(ids.idOf(k)).toBe(i));
    keys.forEach((k, i) => expect(ids.find(k)).toBe(i));
    expect(ids.size).toBe(keys.length);
  });
});

describe('KeyDictionary.idsOf', () => {
  it('is idOf of each key in order, growing the output array when short', () => {
    const ids = new KeyDictionary();
    const keys = [5, 'a', 5, 1.5, 'a', 7, 2 ** 40];
    const out = ids.idsOf(keys, keys.length, new Int32Array(2));
    expect(Array.from(out.subarray(0, keys.length))).toEqual([0, 1, 0, 2, 1, 3, 4]);
    const reused = new Int32Array(16);
    expect(ids.idsOf([7, 5], 2, reused)).toBe(reused);
    expect(Array.from(reused.subarray(0, 2))).toEqual([3, 0]);
  });
});
