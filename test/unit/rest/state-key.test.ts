import { describe, expect, it } from 'vitest';
import { parseStateKey } from '../../../src/rest/state-key.ts';

describe('parseStateKey', () => {
  it('a JSON number is tried as the number, then as the string', () => {
    expect(parseStateKey('42')).toEqual({ kind: 'ok', candidates: [42, '42'] });
    expect(parseStateKey('-1.5')).toEqual({ kind: 'ok', candidates: [-1.5, '-1.5'] });
    expect(parseStateKey('1e3')).toEqual({ kind: 'ok', candidates: [1000, '1e3'] });
  });

  it('a JSON string literal forces the string', () => {
    expect(parseStateKey('"42"')).toEqual({ kind: 'ok', candidates: ['42'] });
    expect(parseStateKey('""')).toEqual({ kind: 'ok', candidates: [''] });
    expect(parseStateKey('"a \\"b\\""')).toEqual({ kind: 'ok', candidates: ['a "b"'] });
  });

  it('anything else is the string as given (numbers in other spellings too)', () => {
    for (const raw of ['alice', '042', '+1', '0x10', ' 1', 'Infinity', 'NaN', '1e999', 'true', 'null', '[1]']) {
      expect(parseStateKey(raw), raw).toEqual({ kind: 'ok', candidates: [raw] });
    }
  });

  it('missing, empty or half-quoted keys are malformed', () => {
    expect(parseStateKey(undefined)).toMatchObject({ kind: 'malformed', message: expect.stringMatching(/missing query parameter 'key'/) });
    expect(parseStateKey('')).toMatchObject({ kind: 'malformed', message: expect.stringMatching(/empty/) });
    expect(parseStateKey('"abc')).toMatchObject({ kind: 'malformed', message: expect.stringMatching(/malformed key "abc/) });
    expect(parseStateKey('"a"b')).toMatchObject({ kind: 'malformed' });
  });
});
