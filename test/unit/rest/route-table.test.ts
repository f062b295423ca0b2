import { describe, expect, it } from 'vitest';
import { RouteTable } from '../../../src/rest/route-table.ts';

const table = new RouteTable<string>([
  { method: 'GET', pattern: '/jobs', handler: 'jobs' },
  { method: 'GET', pattern: '/jobs/overview', handler: 'jobs-overview' },
  { method: 'GET', pattern: '/jobs/:jobId', handler: 'job' },
  { method: 'PATCH', pattern: '/jobs/:jobId', handler: 'cancel' },
  { method: 'GET', pattern: '/jobs/:jobId/state/:uid/windows', handler: 'windows' },
  { method: 'GET', pattern: '/jobs/:jobId/state/:uid/:stateName', handler: 'state' },
]);

describe('RouteTable', () => {
  it('binds parameters, decoded', () => {
    expect(table.match('GET', '/jobs/abc')).toEqual({ kind: 'match', handler: 'job', params: { jobId: 'abc' }, pattern: '/jobs/:jobId' });
    expect(table.match('GET', '/jobs/j/state/my%20op/count')).toMatchObject({ handler: 'state', params: { jobId: 'j', uid: 'my op', stateName: 'count' } });
  });

  it('prefers literal segments over parameters', () => {
    expect(table.match('GET', '/jobs/overview')).toMatchObject({ handler: 'jobs-overview' });
    expect(table.match('GET', '/jobs/j/state/w/windows')).toMatchObject({ handler: 'windows', params: { uid: 'w' } });
    expect(table.match('GET', '/jobs/j/state/w/sum')).toMatchObject({ handler: 'state', params: { stateName: 'sum' } });
  });

  it('tolerates one trailing slash', () => {
    expect(table.match('GET', '/jobs/')).toMatchObject({ handler: 'jobs' });
  });

  it('a known path with another method is 405 material, listing the allowed methods', () => {
    expect(table.match('DELETE', '/jobs/abc')).toEqual({ kind: 'method-not-allowed', allowed: ['GET', 'PATCH'] });
    expect(table.match('POST', '/jobs/overview')).toEqual({ kind: 'method-not-allowed', allowed: ['GET'] });
  });

  it('unknown paths are not found', () => {
    for (const path of ['/', '/job', '/jobs/a/b', '/jobs/a/state/u', '/etc/passwd']) expect(table.match('GET', path), path).toEqual({ kind: 'not-found' });
  });

  it('refuses traversal, encoded separators, bad escapes, control characters and empty segments', () => {
    for (const path of [
      '/jobs/..',
      '/jobs/.',
      '/jobs/%2e%2e',
      '/jobs/%2E',
      '/jobs/a%2Fb',
      '/jobs/a%2fb',
      '/jobs/a%5cb',
      '/jobs/a%00',
      '/jobs/a%0a',
      '/jobs/%zz',
      '/jobs/a\\b',
      '//jobs',
      '/jobs//a',
      'jobs',
      '',
      '/jobs?x=1',
    ]) {
      expect(table.match('GET', path).kind, path).toBe('bad-path');
    }
  });
});
