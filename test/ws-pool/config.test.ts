// Pool configuration: synchronous validation (WSPOOL_ERR_INVALID_CONFIG naming the field and its
// range, WSPOOL_ERR_INVALID_URL) before anything is dialled, and the defaults of API.md §2.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Pool, createPool, type PoolConfig } from '../../src/index.js';
import { PoolJar, startPeerServer, thrownBy, wsErrorOf, useSuiteServer } from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);

/** `[label, config overrides, field named in the message, range text expected in the message]` */
const invalid: [string, Record<string, unknown>, string, string][] = [
  ['negative minConns', { minConns: -1 }, 'minConns', 'an integer >= 0'],
  ['fractional minConns', { minConns: 1.5 }, 'minConns', 'an integer >= 0'],
  ['NaN minConns', { minConns: NaN }, 'minConns', 'an integer >= 0'],
  ['string minConns', { minConns: '2' }, 'minConns', 'an integer >= 0'],
  ['zero maxConns', { maxConns: 0 }, 'maxConns', 'an integer >= 1'],
  ['fractional maxConns', { maxConns: 2.5 }, 'maxConns', 'an integer >= 1'],
  ['infinite maxConns', { maxConns: Infinity }, 'maxConns', 'an integer >= 1'],
  ['minConns above maxConns', { minConns: 5, maxConns: 2 }, 'minConns', 'from 0 to maxConns (2)'],
  ['zero healthCheckPeriod', { healthCheckPeriod: 0 }, 'healthCheckPeriod', 'a number of ms > 0'],
  ['negative healthCheckPeriod', { healthCheckPeriod: -5 }, 'healthCheckPeriod', 'a number of ms > 0'],
  ['NaN healthCheckPeriod', { healthCheckPeriod: NaN }, 'healthCheckPeriod', 'a number of ms > 0'],
  ['zero pingTimeout', { pingTimeout: 0 }, 'pingTimeout', 'a number of ms > 0'],
  ['zero maxConnLifetime', { maxConnLifetime: 0 }, 'maxConnLifetime', 'a number of ms > 0'],
  ['zero maxConnIdleTime', { maxConnIdleTime: 0 }, 'maxConnIdleTime', 'a number of ms > 0'],
  ['negative maxConnLifetimeJitter', { maxConnLifetimeJitter: -1 }, 'maxConnLifetimeJitter', '>= 0'],
  ['infinite maxConnLifetimeJitter', { maxConnLifetimeJitter: Infinity }, 'maxConnLifetimeJitter', '>= 0'],
  ['negative pingIdleAfter', { pingIdleAfter: -1 }, 'pingIdleAfter', 'a number of ms >= 0 or Infinity'],
  ['negative acquireTimeout', { acquireTimeout: -1 }, 'acquireTimeout', 'a number of ms >= 0 or Infinity'],
  ['negative maxWaiting', { maxWaiting: -1 }, 'maxWaiting', 'an integer >= 0 or Infinity'],
  ['fractional maxWaiting', { maxWaiting: 0.5 }, 'maxWaiting', 'an integer >= 0 or Infinity'],
  ['zero connectTimeout', { connectTimeout: 0 }, 'connectTimeout', 'a number of ms > 0'],
  ['non-function beforeConnect', { beforeConnect: 'x' }, 'beforeConnect', 'a function'],
  ['non-function afterConnect', { afterConnect: 1 }, 'afterConnect', 'a function'],
  ['non-function beforeAcquire', { beforeAcquire: {} }, 'beforeAcquire', 'a function'],
  ['non-function afterRelease', { afterRelease: true }, 'afterRelease', 'a function'],
  ['non-function beforeClose', { beforeClose: null }, 'beforeClose', 'a function'],
  ['non-boolean trackLeaks', { trackLeaks: 'yes' }, 'trackLeaks', 'a boolean'],
  ['a signal (belongs to acquire)', { signal: new AbortController().signal }, 'signal', 'acquire'],
  ['an unknown key (typo)', { maxConn: 3 }, 'maxConn', 'did you mean `maxConns`?'],
];

describe('invalid config', () => {
  it.each(invalid)(
    '%s throws INVALID_CONFIG synchronously, naming the field and range',
    (_label, extra, field, range) => {
      const before = server.peers.length;
      const error = thrownBy(() => new Pool({ url: server.url, ...extra }), 'WSPOOL_ERR_INVALID_CONFIG');
      expect(error.message).toContain(`\`${field}\``);
      expect(error.message).toContain(range);
      expect(server.peers.length).toBe(before); // nothing dialled
    },
  );

  it('createPool rejects with the same error (and dials nothing)', async () => {
    const error = await wsErrorOf(
      createPool({ url: server.url, minConns: 3, maxConns: 2 }),
      'WSPOOL_ERR_INVALID_CONFIG',
    );
    expect(error.message).toContain('`minConns`');
  });

  it('rejects a config that is not an object', () => {
    thrownBy(() => new Pool(null as unknown as PoolConfig), 'WSPOOL_ERR_INVALID_CONFIG');
    thrownBy(() => new Pool('ws://127.0.0.1:1' as unknown as PoolConfig), 'WSPOOL_ERR_INVALID_CONFIG');
  });

  it('a missing url is INVALID_CONFIG naming `url`', () => {
    const error = thrownBy(() => new Pool({}), 'WSPOOL_ERR_INVALID_CONFIG');
    expect(error.message).toContain('`url`');
  });

  it.each([
    ['an http: URL', 'http://127.0.0.1:80/'],
    ['not a URL', 'not a url'],
    ['an empty string', ''],
    ['a number', 42],
  ])('%s throws INVALID_URL synchronously', (_label, url) => {
    thrownBy(() => new Pool({ url: url as string }), 'WSPOOL_ERR_INVALID_URL');
  });

  it('never echoes URL credentials or query values in the error', () => {
    const error = thrownBy(
      () => new Pool({ url: 'ws://user:s3cret@127.0.0.1:1/?token=t0psecret', minConns: -1 }),
      'WSPOOL_ERR_INVALID_CONFIG',
    );
    expect(error.message).not.toContain('s3cret');
    expect(error.message).not.toContain('t0psecret');
  });
});

describe('valid config', () => {
  it('accepts the edges of every range', () => {
    const pool = jar.pool({
      url: new URL(server.url),
      minConns: 0,
      maxConns: 1,
      maxConnLifetime: Infinity,
      maxConnLifetimeJitter: 0,
      maxConnIdleTime: Infinity,
      healthCheckPeriod: Infinity,
      pingTimeout: Infinity,
      pingIdleAfter: 0,
      acquireTimeout: 0,
      maxWaiting: 0,
      trackLeaks: false,
    });
    expect(pool.stat().maxConns).toBe(1);
    const other = jar.pool({
      url: server.url,
      minConns: 2,
      maxConns: 2,
      pingIdleAfter: Infinity,
      maxWaiting: Infinity,
    });
    expect(other.stat().maxConns).toBe(2);
  });

  it('defaults maxConns to max(4, availableParallelism()) and minConns to 0', () => {
    const pool = jar.pool({ url: server.url });
    const s = pool.stat();
    expect(s.maxConns).toBe(Math.max(4, availableParallelism()));
    expect(s.totalConns).toBe(0); // minConns 0: nothing dialled in the background
  });

  it('exposes the URL redacted', () => {
    const pool = jar.pool({ url: `ws://user:pw@127.0.0.1:${server.server.port}/x?token=abc` });
    expect(pool.url).not.toContain('pw');
    expect(pool.url).not.toContain('abc');
    expect(pool.url).toContain('127.0.0.1');
  });
});
