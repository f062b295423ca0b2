import { describe, expect, it } from 'vitest';
import { encodeJson } from '../../../src/rest/rest-json.ts';
import { splitRequestTarget } from '../../../src/rest/request-target.ts';

describe('encodeJson', () => {
  it('non-finite numbers become their names, so watermarks survive JSON', () => {
    expect(encodeJson({ watermark: -Infinity, end: Infinity, bad: NaN, ok: 5 })).toBe('{"watermark":"-Infinity","end":"Infinity","bad":"NaN","ok":5}');
    expect(Number(JSON.parse(encodeJson([-Infinity]))[0])).toBe(-Infinity);
  });

  it('bigint, Map and Set have a JSON form; undefined is left out', () => {
    expect(encodeJson({ n: 12n, m: new Map([['a', 1]]), k: new Map([[{ x: 1 }, 2]]), s: new Set([1, 2]), u: undefined })).toBe(
      '{"n":"12","m":{"a":1},"k":[[{"x":1},2]],"s":[1,2]}',
    );
    expect(encodeJson(undefined)).toBe('null');
  });
});

describe('splitRequestTarget', () => {
  it('keeps the raw path and decodes the query (first occurrence wins)', () => {
    expect(splitRequestTarget('/jobs/a%2Fb/../x?key=%2242%22&key=2&mode=cancel#frag')).toEqual({ path: '/jobs/a%2Fb/../x', query: { key: '"42"', mode: 'cancel' } });
    expect(splitRequestTarget('/overview')).toEqual({ path: '/overview', query: {} });
  });
});
