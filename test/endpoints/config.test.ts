import { describe, expect, it } from 'vitest';
import { resolveEndpoints } from '../../src/endpoints/config.js';
import { WsPoolError } from '../../src/index.js';

function configError(fn: () => unknown): WsPoolError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WsPoolError);
    return error as WsPoolError;
  }
  throw new Error('expected a throw');
}

describe('resolveEndpoints', () => {
  it('a single url: no endpoints, nothing else', () => {
    const r = resolveEndpoints({ url: 'ws://a.test/x' });
    expect(r.url.href).toBe('ws://a.test/x');
    expect(r.endpoints).toBeUndefined();
  });

  it('endpoints: strings, URLs and weighted entries, in order, with defaults', () => {
    const r = resolveEndpoints({
      endpoints: ['ws://a.test', new URL('ws://b.test'), { url: 'wss://c.test', weight: 3 }],
    });
    expect(r.url.href).toBe('ws://a.test/');
    expect(r.endpoints?.specs.map((s) => [s.redacted, s.weight, s.index])).toEqual([
      ['ws://a.test/', 1, 0],
      ['ws://b.test/', 1, 1],
      ['wss://c.test/', 3, 2],
    ]);
    expect(r.endpoints).toMatchObject({
      balance: 'least-loaded',
      failbackAfter: 30_000,
      ejectAfterFailures: 5,
      ejectionTime: 30_000,
      maxEjectionTime: 300_000,
    });
  });

  it('exactly one of url and endpoints', () => {
    expect(configError(() => resolveEndpoints({ url: 'ws://a.test', endpoints: ['ws://b.test'] })).code).toBe(
      'WSPOOL_ERR_INVALID_CONFIG',
    );
    const none = configError(() => resolveEndpoints({}));
    expect(none.code).toBe('WSPOOL_ERR_INVALID_CONFIG');
    expect(none.message).toContain('endpoints');
  });

  it('rejects an empty list, bad weights, duplicates and bad URLs', () => {
    expect(configError(() => resolveEndpoints({ endpoints: [] })).code).toBe('WSPOOL_ERR_INVALID_CONFIG');
    const weight = configError(() => resolveEndpoints({ endpoints: [{ url: 'ws://a.test', weight: 0 }] }));
    expect(weight.message).toContain('endpoints[0].weight');
    expect(
      configError(() => resolveEndpoints({ endpoints: ['ws://a.test', 'ws://a.test'] })).message,
    ).toContain('endpoints[1]');
    expect(configError(() => resolveEndpoints({ endpoints: ['http://a.test'] })).code).toBe(
      'WSPOOL_ERR_INVALID_URL',
    );
  });

  it('never shows credentials or query values', () => {
    const r = resolveEndpoints({ endpoints: ['ws://user:hunter22@a.test/?key=s3cr3t'] });
    expect(r.endpoints?.specs[0]?.redacted).toBe('ws://***:***@a.test/?key=***');
    const dup = configError(() =>
      resolveEndpoints({ endpoints: ['ws://a.test/?key=s3cr3t', 'ws://a.test/?key=s3cr3t'] }),
    );
    expect(dup.message).not.toContain('s3cr3t');
  });

  it('validates the balance and ejection options, and refuses them without endpoints', () => {
    expect(
      configError(() => resolveEndpoints({ endpoints: ['ws://a.test'], balance: 'random' as never })).message,
    ).toContain('balance');
    expect(
      configError(() =>
        resolveEndpoints({ endpoints: ['ws://a.test'], ejectionTime: 10, maxEjectionTime: 5 }),
      ).message,
    ).toContain('maxEjectionTime');
    expect(
      configError(() => resolveEndpoints({ url: 'ws://a.test', balance: 'priority' })).message,
    ).toContain('balance');
    expect(
      resolveEndpoints({ endpoints: ['ws://a.test'], ejectionTime: 600_000 }).endpoints?.maxEjectionTime,
    ).toBe(600_000);
  });
});
