// Every `wspool:*` diagnostics channel, seen by a subscriber: the documented payload shapes (exact
// key sets), the values a pool's life produces (each destroy reason that can be provoked), and no
// URL credential or query value anywhere in a payload.
import diagnosticsChannel from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CHANNELS,
  JsonRpcPool,
  WsPoolError,
  createPool,
  type ConnectionCloseMessage,
  type ConnectionErrorMessage,
  type ConnectionOpenMessage,
  type PoolAcquireMessage,
  type PoolDestroyMessage,
  type PoolHealthCheckMessage,
  type PoolReleaseMessage,
  type RequestEndMessage,
  type RequestStartMessage,
} from '../../src/index.js';
import { startHttpStatusServer, type HttpStatusServer, type TestWsServer } from '../helpers/index.js';
import {
  PoolJar,
  startPeerServer,
  track,
  turns,
  until,
  useFakeClock,
  whoami,
  within,
  wsErrorOf,
  type PeerServer,
} from '../ws-pool/support.js';
import {
  expectNoSecrets,
  keysOf,
  recordChannels,
  secretUrl,
  startJsonRpcServer,
  type ChannelRecorder,
} from './support.js';

let server: PeerServer;
let unauthorized: HttpStatusServer;
const jar = new PoolJar();
let channels: ChannelRecorder;

beforeAll(async () => {
  [server, unauthorized] = await Promise.all([startPeerServer(), startHttpStatusServer(401)]);
});
beforeEach(() => {
  channels = recordChannels();
});
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await jar.closeAll();
  // Whatever a test published, closing included, must be free of secrets too.
  for (const [, message] of channels.log) expectNoSecrets(message);
  channels.dispose();
});
afterAll(() => Promise.all([server.close(), unauthorized.close()]));

const destroyReasons = (pool: object): string[] =>
  channels
    .of<PoolDestroyMessage>(CHANNELS.poolDestroy)
    .filter((m) => m.pool === pool)
    .map((m) => m.reason);

describe('channel names', () => {
  it('are wspool:<area>:<event>, one per documented event, each in the docs/observability.md table', () => {
    const names = Object.values(CHANNELS);
    expect(names).toEqual([
      'wspool:connection:open',
      'wspool:connection:close',
      'wspool:connection:error',
      'wspool:pool:acquire',
      'wspool:pool:release',
      'wspool:pool:destroy',
      'wspool:pool:health-check',
      'wspool:request:start',
      'wspool:request:end',
      'wspool:subscription:resubscribe',
      'wspool:subscription:end',
      'wspool:endpoint:eject',
      'wspool:endpoint:readmit',
    ]);
    for (const name of names) expect(name).toMatch(/^wspool:[a-z]+:[a-z-]+$/);
    const doc = readFileSync(new URL('../../docs/observability.md', import.meta.url), 'utf8');
    const start = doc.indexOf('\n## Diagnostics channels');
    expect(start).toBeGreaterThan(0);
    const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
    for (const name of names) expect(section).toContain(`\`${name}\``);
  });
});

describe('publishing', () => {
  /** Exercise open, acquire, release, destroy, a failed dial and close on one pool. */
  async function lifeOfAPool(): Promise<void> {
    const pool = jar.add(await createPool({ url: server.url, minConns: 1, maxConns: 1 }));
    (await pool.acquire()).release();
    (await pool.acquire()).destroy();
    await wsErrorOf(jar.pool({ url: unauthorized.url, maxConns: 1 }).acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    await pool.close();
  }

  it('happens only while a channel has subscribers: no message is even built otherwise', async () => {
    channels.dispose(); // this test subscribes by itself
    const spies = Object.values(CHANNELS).map((name) =>
      vi.spyOn(diagnosticsChannel.channel(name), 'publish'),
    );
    await lifeOfAPool();
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();

    // The control: the same life with subscribers publishes through the same channel objects.
    const recorder = recordChannels();
    try {
      await lifeOfAPool();
    } finally {
      recorder.dispose();
    }
    const published = Object.values(CHANNELS).filter((_, i) => spies[i]!.mock.calls.length > 0);
    expect(published).toEqual([
      CHANNELS.connectionOpen,
      CHANNELS.connectionClose,
      CHANNELS.connectionError,
      CHANNELS.poolAcquire,
      CHANNELS.poolRelease,
      CHANNELS.poolDestroy,
    ]);
  });
});

describe('wspool:connection:*', () => {
  it('open { url, protocol, connectMs } and close { url, code, reason, wasClean, durationMs }, redacted', async () => {
    const pool = jar.add(await createPool({ url: secretUrl(server.url), minConns: 1, maxConns: 1 }));
    const [open] = channels.of<ConnectionOpenMessage>(CHANNELS.connectionOpen);
    expect(keysOf(open)).toEqual(['connectMs', 'protocol', 'url']);
    expect(open).toEqual({ url: pool.url, protocol: '', connectMs: expect.any(Number) as number });
    expect(open!.url).toBe(`ws://***:***@127.0.0.1:${new URL(server.url).port}/feed?token=***&sig=***`);
    expect(open!.connectMs).toBeGreaterThanOrEqual(0);

    await pool.close();
    const closes = channels.of<ConnectionCloseMessage>(CHANNELS.connectionClose);
    expect(closes).toHaveLength(1);
    expect(keysOf(closes[0])).toEqual(['code', 'durationMs', 'reason', 'url', 'wasClean']);
    expect(closes[0]).toEqual({
      url: pool.url,
      code: 1000,
      reason: '',
      wasClean: true,
      durationMs: expect.any(Number) as number,
    });
    expect(closes[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('close carries the code and reason of a peer that hangs up', async () => {
    const pool = jar.add(await createPool({ url: server.url, minConns: 1, maxConns: 1 }));
    server.peers.at(-1)!.ws.close(4001, 'maintenance');
    await until(() => channels.of(CHANNELS.connectionClose).length === 1, 'the close message');
    const [close] = channels.of<ConnectionCloseMessage>(CHANNELS.connectionClose);
    expect(close).toMatchObject({ url: pool.url, code: 4001, reason: 'maintenance', wasClean: true });
  });

  it('error { url, error } for a refused dial: a WsPoolError whose message names no secret', async () => {
    const pool = jar.pool({ url: secretUrl(unauthorized.url), maxConns: 1 });
    await wsErrorOf(pool.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    const errors = channels.of<ConnectionErrorMessage>(CHANNELS.connectionError);
    expect(errors).toHaveLength(1);
    expect(keysOf(errors[0])).toEqual(['error', 'url']);
    expect(errors[0]!.url).toBe(pool.url);
    expect(errors[0]!.error).toBeInstanceOf(WsPoolError);
    expect(errors[0]!.error).toMatchObject({ code: 'WSPOOL_ERR_CONNECT_FAILED', status: 401 });
    expect(errors[0]!.error.message).toContain('token=***');
    expect(channels.of(CHANNELS.connectionOpen)).toHaveLength(0);
  });
});

describe('wspool:pool:acquire and :release', () => {
  it('acquire { pool, waitMs } and release { pool, holdMs } carry the wait and the hold, in ms', async () => {
    useFakeClock();
    const pool = jar.pool({ url: secretUrl(server.url), maxConns: 1, healthCheckPeriod: Infinity });
    const first = await within(pool.acquire(), 5_000, 'the first acquire');
    const [acquired] = channels.of<PoolAcquireMessage>(CHANNELS.poolAcquire);
    expect(keysOf(acquired)).toEqual(['pool', 'waitMs']);
    expect(acquired!.pool).toBe(pool);

    const second = track(pool.acquire()); // waits: maxConns 1
    await turns();
    await vi.advanceTimersByTimeAsync(120);
    first.release();
    await until(() => second.status === 'fulfilled', 'the queued acquire');
    const acquires = channels.of<PoolAcquireMessage>(CHANNELS.poolAcquire);
    expect(acquires).toHaveLength(2);
    expect(acquires[1]).toEqual({ pool, waitMs: 120 });

    const [release] = channels.of<PoolReleaseMessage>(CHANNELS.poolRelease);
    expect(keysOf(release)).toEqual(['holdMs', 'pool']);
    expect(release).toEqual({ pool, holdMs: 120 });

    await vi.advanceTimersByTimeAsync(45);
    second.value!.release();
    expect(channels.of<PoolReleaseMessage>(CHANNELS.poolRelease)[1]).toEqual({ pool, holdMs: 45 });
  });

  it('messages of two pools are told apart by `pool`', async () => {
    const a = jar.pool({ url: server.url, maxConns: 1 });
    const b = jar.pool({ url: server.url, maxConns: 1 });
    await a.withConnection(async (conn) => void (await whoami(conn)));
    await b.withConnection(async (conn) => void (await whoami(conn)));
    await a.withConnection(async (conn) => void (await whoami(conn)));
    const acquires = channels.of<PoolAcquireMessage>(CHANNELS.poolAcquire);
    expect(acquires.map((m) => (m.pool === a ? 'a' : m.pool === b ? 'b' : '?'))).toEqual(['a', 'b', 'a']);
  });
});

describe('wspool:pool:destroy { pool, reason }', () => {
  it('released: the borrower called destroy()', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const conn = await pool.acquire();
    conn.destroy('done with it');
    await until(() => destroyReasons(pool).length === 1, 'the destroy message');
    const [message] = channels.of<PoolDestroyMessage>(CHANNELS.poolDestroy);
    expect(keysOf(message)).toEqual(['pool', 'reason']);
    expect(message).toEqual({ pool, reason: 'released' });
  });

  it('hook: afterRelease returned false', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, afterRelease: () => false });
    (await pool.acquire()).release();
    await until(() => destroyReasons(pool).length === 1, 'the destroy message');
    expect(destroyReasons(pool)).toEqual(['hook']);
  });

  it('hook: beforeAcquire returned false', async () => {
    let calls = 0;
    const pool = jar.pool({ url: server.url, maxConns: 2, beforeAcquire: () => ++calls > 1 });
    (await pool.acquire()).release();
    expect(destroyReasons(pool)).toEqual(['hook']);
  });

  it('lifetime: released after maxConnLifetime', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      maxConnLifetime: 1_000,
      healthCheckPeriod: Infinity,
    });
    const conn = await within(pool.acquire(), 5_000, 'acquire');
    await vi.advanceTimersByTimeAsync(1_000);
    conn.release();
    expect(destroyReasons(pool)).toEqual(['lifetime']);
  });

  it('idle: evicted by the health check, which publishes { pool, checked, destroyed, created }', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 2,
      maxConnIdleTime: 1_000,
      healthCheckPeriod: 1_500,
      pingIdleAfter: Infinity,
    });
    (await within(pool.acquire(), 5_000, 'acquire')).release();
    await vi.advanceTimersByTimeAsync(1_500);
    await until(() => channels.of(CHANNELS.poolHealthCheck).length === 1, 'the health check message');
    expect(destroyReasons(pool)).toEqual(['idle']);
    const [check] = channels.of<PoolHealthCheckMessage>(CHANNELS.poolHealthCheck);
    expect(keysOf(check)).toEqual(['checked', 'created', 'destroyed', 'pool']);
    expect(check).toEqual({ pool, checked: 1, destroyed: 1, created: 0 });
  });

  it('ping: no pong on acquire within pingTimeout', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      pingIdleAfter: 0,
      pingTimeout: 300,
      healthCheckPeriod: Infinity,
    });
    const first = await within(pool.acquire(), 5_000, 'acquire');
    const id = await whoami(first);
    const peer = server.peers.find((p) => p.id === id)!;
    peer.muted = true;
    first.release();
    const second = track(pool.acquire());
    await until(() => peer.pings === 1, 'the ping to reach the muted peer');
    await vi.advanceTimersByTimeAsync(300);
    await until(() => second.status === 'fulfilled', 'the acquire on a new connection');
    second.value!.release();
    expect(destroyReasons(pool)).toEqual(['ping']);
  });

  it('closed: an idle connection the peer closed, and idle connections at pool.close()', async () => {
    const pool = jar.add(await createPool({ url: server.url, minConns: 2, maxConns: 2 }));
    const [a] = server.peers.slice(-2);
    a!.ws.close(1001, 'going away');
    await until(() => destroyReasons(pool).length === 1, 'the destroy of the closed connection');
    await until(() => pool.stat().idleConns === 2, 'the refill to minConns');
    await pool.close();
    expect(destroyReasons(pool)).toEqual(['closed', 'closed', 'closed']);
  });

  it('closed: a borrowed connection terminated by close({ timeout })', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    await pool.acquire(); // never released
    await pool.close({ timeout: 0 });
    expect(destroyReasons(pool)).toEqual(['closed']);
  });
});

describe('wspool:request:start and :end', () => {
  let rpc: TestWsServer;
  beforeAll(async () => {
    rpc = await startJsonRpcServer();
  });
  afterAll(() => rpc.close());

  it('start { pool, id, method } and end { pool, id, durationMs, error? }, for calls that succeed, fail and time out', async () => {
    const pool = new JsonRpcPool({ url: secretUrl(rpc.url), maxConns: 1, requestTimeout: 200 });
    try {
      await expect(pool.call('echo', ['a'])).resolves.toEqual(['a']);
      await wsErrorOf(pool.call('fail'), 'WSPOOL_ERR_REMOTE');
      await wsErrorOf(pool.call('hang'), 'WSPOOL_ERR_REQUEST_TIMEOUT');
    } finally {
      await pool.close();
    }
    const starts = channels.of<RequestStartMessage>(CHANNELS.requestStart);
    const ends = channels.of<RequestEndMessage>(CHANNELS.requestEnd);
    expect(starts).toHaveLength(3);
    expect(ends).toHaveLength(3);
    for (const start of starts) {
      expect(keysOf(start)).toEqual(['id', 'method', 'pool']);
      expect(start.pool).toBe(pool);
    }
    expect(starts.map((s) => s.method)).toEqual(['echo', 'fail', 'hang']);
    expect(new Set(starts.map((s) => s.id)).size).toBe(3);
    expect(ends.map((e) => e.id)).toEqual(starts.map((s) => s.id));
    expect(keysOf(ends[0])).toEqual(['durationMs', 'id', 'pool']);
    expect(keysOf(ends[1])).toEqual(['durationMs', 'error', 'id', 'pool']);
    expect(ends[1]!.error).toMatchObject({ code: 'WSPOOL_ERR_REMOTE' });
    expect(ends[2]!.error).toMatchObject({ code: 'WSPOOL_ERR_REQUEST_TIMEOUT' });
    expect(ends[2]!.durationMs).toBeGreaterThanOrEqual(190);
  });
});
