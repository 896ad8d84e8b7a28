// Validation of the multiplexed pools' options: synchronous, naming the field, and the same rules
// as the exclusive pool for the options they share.
import { describe, expect, it } from 'vitest';
import {
  JsonRpcPool,
  MultiplexPool,
  WsPoolError,
  type Codec,
  type MultiplexPoolConfig,
} from '../../src/index.js';

const codec: Codec<string, string> = { encode: (s) => s, decode: () => undefined };
const url = 'ws://127.0.0.1:1';

function thrownBy(fn: () => unknown): WsPoolError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WsPoolError);
    return error as WsPoolError;
  }
  throw new Error('expected a throw');
}

function configError(config: Record<string, unknown>): WsPoolError {
  return thrownBy(() => new MultiplexPool(config as unknown as MultiplexPoolConfig<string, string>));
}

describe('MultiplexPool config', () => {
  it('requires a codec with encode and decode', () => {
    expect(configError({ url }).message).toMatch(/`codec`/);
    expect(configError({ url, codec: { encode: () => '' } }).message).toMatch(/`codec`/);
    expect(configError({ url, codec: null }).code).toBe('WSPOOL_ERR_INVALID_CONFIG');
  });

  it.each([
    ['maxInFlightPerConn', 0],
    ['maxInFlightPerConn', 1.5],
    ['maxInFlightPerConn', '8'],
    ['requestTimeout', 0],
    ['requestTimeout', -5],
    ['requestTimeout', NaN],
    ['onMessage', 'log'],
  ])('rejects %s = %s, naming the field', (field, value) => {
    const error = configError({ url, codec, [field]: value });
    expect(error.code).toBe('WSPOOL_ERR_INVALID_CONFIG');
    expect(error.message).toContain(`\`${field}\``);
  });

  it.each(['beforeAcquire', 'afterRelease', 'acquireTimeout', 'trackLeaks'])(
    'rejects the checkout-only option %s',
    (field) => {
      expect(configError({ url, codec, [field]: undefined }).message).toContain(`\`${field}\``);
    },
  );

  it('shares the exclusive pool checks: URL, unknown keys, ranges', () => {
    expect(configError({ url: 'http://x', codec }).code).toBe('WSPOOL_ERR_INVALID_URL');
    expect(configError({ url, codec, maxConn: 2 }).message).toContain('`maxConn`');
    expect(configError({ url, codec, minConns: 3, maxConns: 2 }).message).toContain('`minConns`');
  });

  it('accepts Infinity for requestTimeout, and starts no dial without minConns', async () => {
    const pool = new MultiplexPool({ url, codec, requestTimeout: Infinity, maxInFlightPerConn: 1 });
    expect(pool.stat()).toMatchObject({ totalConns: 0, constructingConns: 0 });
    expect(pool.stat().maxConns).toBeGreaterThanOrEqual(4);
    expect(Object.isFrozen(pool.stat())).toBe(true);
    expect(pool.url).toBe('ws://127.0.0.1:1/');
    await pool.close();
  });
});

describe('JsonRpcPool config', () => {
  it('has its codec built in: passing one is an error', () => {
    const error = thrownBy(() => new JsonRpcPool({ url, codec } as never));
    expect(error.message).toContain('`codec`');
  });

  it('validates like MultiplexPool', () => {
    expect(thrownBy(() => new JsonRpcPool({ url, maxInFlightPerConn: -1 })).message).toContain(
      'maxInFlightPerConn',
    );
    expect(thrownBy(() => new JsonRpcPool(null as never)).code).toBe('WSPOOL_ERR_INVALID_CONFIG');
    expect(thrownBy(() => new JsonRpcPool({ url, onMessage: 'log' as never })).message).toContain(
      '`onMessage`',
    );
  });
});
