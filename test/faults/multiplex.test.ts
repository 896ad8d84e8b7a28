// The fault scenarios of pool.test.ts, for the multiplexed pools: MultiplexPool with an echo codec
// (the echo server returns each request frame as is, so the reply's value must be the caller's own
// payload: any mix-up of correlation ids shows as a mismatch) and JsonRpcPool against a JSON-RPC
// responder. Same rig, same assertions: every request settles (a value or a WsPoolError), no reply
// reaches the wrong caller, stat() stays consistent, service resumes, nothing is left after close().
import type WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { JsonRpcPool, MultiplexPool, type Codec, type MultiplexPoolConfig } from '../../src/index.js';
import { rawSocket, until, useFakeClock } from '../connection/support.js';
import { startRig } from './rig.js';
import {
  STRESS,
  assertNoSecrets,
  settledMemory,
  realTime,
  settleWithin,
  sleep,
  subscribeDiagnostics,
  tally,
  unsubscribeDiagnostics,
  writeFigures,
  type Tally,
  CALL_DEADLINE,
  checkMux,
  request,
} from './support.js';

type Mux<Req, Res> = MultiplexPool<Req, Res>;
type MuxConfig = MultiplexPoolConfig<string, string>;

/** Requests as `{"id":n,"p":payload}`; the echo server sends the frame back, so the reply carries it. */
const echoCodec: Codec<string, string> = {
  encode: (req, id) => JSON.stringify({ id, p: req }),
  decode: (msg) => {
    const o = JSON.parse(typeof msg === 'string' ? msg : Buffer.from(msg).toString()) as {
      id?: unknown;
      p?: unknown;
    };
    return typeof o.id === 'number' ? { id: o.id, ok: true, value: String(o.p) } : undefined;
  },
};

// ----------------------------------------------------------------------------------------------------

beforeAll(() => subscribeDiagnostics());
afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  unsubscribeDiagnostics();
  assertNoSecrets();
  await writeFigures('multiplex');
});

const BASE = { connectTimeout: 1_000, closeTimeout: 300, pingTimeout: 300 } as const;

function sampleStats(mux: Mux<unknown, unknown>, t: Tally): () => void {
  let stopped = false;
  void (async () => {
    while (!stopped) {
      checkMux(t, mux);
      await sleep(5);
    }
  })();
  return () => {
    stopped = true;
  };
}

const TRANSIENT = [
  'WSPOOL_ERR_CONNECTION_CLOSED',
  'WSPOOL_ERR_CONNECT_FAILED',
  'WSPOOL_ERR_CONNECT_TIMEOUT',
  'WSPOOL_ERR_REQUEST_TIMEOUT',
];

describe('MultiplexPool under faults', () => {
  const Mux = MultiplexPool<string, string>;

  it('server restart while 50 workers run request loops', async () => {
    const t = tally('MultiplexPool: server restart under 50 workers');
    const rig = await startRig();
    const mux = new Mux({
      ...BASE,
      url: rig.url,
      codec: echoCodec,
      minConns: 2,
      maxConns: 4,
      maxInFlightPerConn: 16,
    });
    const stopSampling = sampleStats(mux, t);
    const WORKERS = 50;
    const restarts = STRESS ? 5 : 1;
    let phase: 'before' | 'after' = 'before';
    let stop = false;
    const okAfter = new Array<number>(WORKERS).fill(0);
    const running = Array.from({ length: WORKERS }, async (_, w) => {
      for (let n = 0; !stop; n++) {
        const r = await request(mux, t, `w${w}:n${n}:${Math.random()}`);
        if (r === 'ok' && phase === 'after') okAfter[w]!++;
        if (r !== 'ok') await sleep(50);
      }
    });
    for (let r = 0; r < restarts; r++) {
      phase = 'before';
      await sleep(400);
      await rig.echo.stop();
      await sleep(400);
      await rig.echo.start();
      okAfter.fill(0);
      phase = 'after';
      const deadline = realTime() + 10_000;
      while (okAfter.some((n) => n < 3) && realTime() < deadline) await sleep(20);
      expect(okAfter.every((n) => n >= 3)).toBe(true);
    }
    stop = true;
    await Promise.all(running);
    stopSampling();
    t.assertClean();
    expect(t.errorCount).toBeGreaterThan(0);
    for (const code of Object.keys(t.figures.errors)) expect(TRANSIENT).toContain(code);
    const s = mux.stat();
    expect(s).toMatchObject({ inFlight: 0, queuedRequests: 0 });
    expect(s.totalConns).toBeLessThanOrEqual(4);
    t.set('restarts', restarts);
    t.set('workers', WORKERS);
    t.set('connectionsOpened', s.newConnsCount);
    t.set('failedDials', s.failedConnectCount);
    await rig.finish(() => mux.close(), t);
    expect(t.figures.leakedHandles).toBe(0);
  });

  it('black-holed idle connections are detected by the ping deadline and replaced', async () => {
    const t = tally('MultiplexPool: black-holed idle connections');
    const rig = await startRig();
    const mux = new Mux({
      ...BASE,
      url: rig.url,
      codec: echoCodec,
      minConns: 3,
      maxConns: 4,
      healthCheckPeriod: 200,
      pingIdleAfter: 100,
      connectTimeout: 3_000,
    });
    const stopSampling = sampleStats(mux, t);
    await until(() => mux.stat().totalConns === 3 && mux.stat().constructingConns === 0, 'minConns', 3_000);
    const opened = mux.stat().newConnsCount;
    rig.proxy.blackhole();
    const cut = realTime();
    // Detected: the three are destroyed (their replacements dial into the partition meanwhile).
    await until(() => mux.stat().healthCheckDestroyCount >= 3, 'the ping deadline to evict all three', 3_000);
    const detectedMs = realTime() - cut;
    expect(detectedMs).toBeLessThan(200 + 300 + 200 + 500);
    rig.proxy.pass();
    await until(() => mux.stat().newConnsCount >= opened + 3, 'three replacements', 5_000);
    await until(
      () => rig.server.connections === mux.stat().totalConns,
      'old sockets gone server-side',
      5_000,
    );
    for (let i = 0; i < 6; i++) expect(await request(mux, t, `after heal ${i}`)).toBe('ok');
    stopSampling();
    t.assertClean();
    t.set('detectedMs', Math.round(detectedMs));
    t.set('healthCheckDestroys', mux.stat().healthCheckDestroyCount);
    await rig.finish(() => mux.close(), t);
    expect(t.figures.leakedHandles).toBe(0);
  });

  it('black-holed connection with requests in flight: REQUEST_TIMEOUT, late replies dropped, never misdelivered', async () => {
    const t = tally('MultiplexPool: black-holed in-flight requests');
    const rig = await startRig();
    const mux = new Mux({
      ...BASE,
      url: rig.url,
      codec: echoCodec,
      minConns: 1,
      maxConns: 1,
      requestTimeout: 300,
    });
    const stopSampling = sampleStats(mux, t);
    expect(await request(mux, t, 'warm')).toBe('ok');
    rig.proxy.blackhole();
    const started = realTime();
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      settleWithin(mux.request(`dark ${i}`), CALL_DEADLINE),
    );
    const outcomes = await Promise.all(inFlight);
    expect(realTime() - started).toBeLessThan(2_000);
    for (const o of outcomes) {
      expect(o).not.toBe('lost');
      if (o !== 'lost') {
        expect(o.ok).toBe(false);
        if (!o.ok) {
          expect(o.error).toMatchObject({ code: 'WSPOOL_ERR_REQUEST_TIMEOUT' });
          t.fail(o.error);
        }
      }
    }
    expect(mux.stat()).toMatchObject({ inFlight: 0, timedOutRequests: 20 });
    // The partition heals: the 20 late replies arrive, are dropped and counted, and new requests
    // get their own replies only.
    rig.proxy.pass();
    await until(() => mux.stat().lateReplies === 20, 'the late replies to be counted', 3_000);
    for (let i = 0; i < 20; i++) expect(await request(mux, t, `fresh ${i}`)).toBe('ok');
    stopSampling();
    t.assertClean();
    t.set('lateRepliesDropped', mux.stat().lateReplies);
    await rig.finish(() => mux.close(), t);
    expect(t.figures.leakedHandles).toBe(0);
  });

  it('server down for 10 s (simulated), then back: refills back off with jitter, no dial storm', async () => {
    const t = tally('MultiplexPool: server down 10 s (fake clock), then back');
    const rig = await startRig();
    useFakeClock();
    const config: MuxConfig = {
      ...BASE,
      url: rig.url,
      codec: echoCodec,
      minConns: 2,
      maxConns: 4,
      healthCheckPeriod: 1_000,
    };
    const muxes = [new Mux(config), new Mux(config)];
    await until(
      () => muxes.every((m) => m.stat().totalConns === 2 && m.stat().constructingConns === 0),
      'fill',
    );
    const settle = (): Promise<void> =>
      until(() => muxes.every((m) => m.stat().constructingConns === 0), 'dials to settle', 5_000);
    const t0 = Date.now();
    const acceptedAt = rig.proxy.accepted;
    const perPool: number[][] = [[], []];
    const failed = muxes.map((m) => m.stat().failedConnectCount);
    rig.proxy.refuse(true);
    rig.proxy.cutAll();
    await until(
      () => muxes.every((m) => m.stat().totalConns < 2 || m.stat().constructingConns > 0),
      'the cut',
    );
    while (Date.now() - t0 < 10_000) {
      await vi.advanceTimersByTimeAsync(5);
      await settle();
      muxes.forEach((m, i) => {
        for (const now = m.stat().failedConnectCount; failed[i]! < now; failed[i]!++)
          perPool[i]!.push(Date.now() - t0);
      });
      for (const m of muxes) checkMux(t, m);
    }
    const outageDials = rig.proxy.accepted - acceptedAt;
    rig.proxy.refuse(false);
    const back = Date.now();
    while (
      muxes.some((m) => m.stat().totalConns < 2 || m.stat().constructingConns > 0) &&
      Date.now() - back < 60_000
    ) {
      await vi.advanceTimersByTimeAsync(5);
      await settle();
    }
    const recoveryMs = Date.now() - back;
    for (const m of muxes) expect(await request(m, t, 'back')).toBe('ok');
    const rounds = perPool.map((times) => new Set(times).size);
    for (const r of rounds) {
      expect(r).toBeGreaterThanOrEqual(7);
      expect(r).toBeLessThanOrEqual(8);
    }
    expect(perPool[0]).not.toEqual(perPool[1]);
    t.assertClean();
    t.set('simulatedOutageMs', 10_000);
    t.set('dialsDuringOutage(2 pools)', outageDials);
    t.set('refillRoundsPerPool', rounds.join('/'));
    t.set('recoveryMs(simulated)', recoveryMs);
    await Promise.all(muxes.map((m) => m.close()));
    await until(() => rig.server.connections === 0, 'the server side to close', 5_000);
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
    await rig.finish(() => Promise.resolve(), t);
    expect(t.figures.leakedHandles).toBe(0);
  });

  it('a handshake that stalls: requests fail typed in time, a late handshake serves', async () => {
    const t = tally('MultiplexPool: stalled handshake');
    const rig = await startRig();
    rig.proxy.stall(true);
    const mux = new Mux({
      ...BASE,
      url: rig.url,
      codec: echoCodec,
      maxConns: 2,
      connectTimeout: 300,
      requestTimeout: 5_000,
    });
    const stopSampling = sampleStats(mux, t);
    const started = realTime();
    const outcome = await settleWithin(mux.request('stalled'), CALL_DEADLINE);
    expect(outcome).not.toBe('lost');
    if (outcome !== 'lost') {
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) {
        expect(['WSPOOL_ERR_CONNECT_TIMEOUT', 'WSPOOL_ERR_CONNECT_FAILED']).toContain(
          (outcome.error as { code?: string }).code,
        );
        t.fail(outcome.error);
      }
    }
    expect(realTime() - started).toBeLessThan(2_000);
    // A request timeout shorter than connectTimeout wins.
    const short = await settleWithin(mux.request('short', { timeout: 100 }), CALL_DEADLINE);
    if (short !== 'lost' && !short.ok) {
      expect(short.error).toMatchObject({ code: 'WSPOOL_ERR_REQUEST_TIMEOUT' });
      t.fail(short.error);
    } else {
      t.lost();
    }
    await until(() => mux.stat().constructingConns === 0, 'the orphan dial to fail', 3_000);
    expect(mux.stat().totalConns).toBe(0);

    const late = new Mux({ ...BASE, url: rig.url, codec: echoCodec, maxConns: 1, connectTimeout: 3_000 });
    const pending = late.request('late');
    await rig.proxy.waitFor((p) => p.accepted >= 3);
    await sleep(200);
    rig.proxy.stall(false);
    expect(await pending).toBe('late');
    t.ok();
    stopSampling();
    t.assertClean();
    await rig.finish(async () => {
      await late.close();
      await mux.close();
    }, t);
    expect(t.figures.leakedHandles).toBe(0);
  });

  it('slow server reads: requests queue instead of buffering without bound; all answered once it reads', async () => {
    const t = tally('MultiplexPool: slow server reads (send backpressure)');
    let slow: WebSocket | undefined;
    const rig = await startRig({
      handler: (ws) => {
        slow ??= ws;
        if (ws === slow) rawSocket(ws).pause();
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      },
    });
    const mux = new Mux({
      ...BASE,
      url: rig.url,
      codec: echoCodec,
      minConns: 1,
      maxConns: 1,
      maxInFlightPerConn: 64,
      requestTimeout: 60_000,
      sendHighWaterMark: 256 * 1024,
    });
    const stopSampling = sampleStats(mux, t);
    await until(
      () => mux.stat().totalConns === 1 && mux.stat().constructingConns === 0,
      'the connection',
      3_000,
    );
    const COUNT = 2_000;
    const big = 'x'.repeat(16 * 1024);
    const m0 = await settledMemory();
    const calls = Array.from({ length: COUNT }, (_, i) => settleWithin(mux.request(`${i}:${big}`), 60_000));
    await sleep(500);
    const m1 = await settledMemory();
    const grew = m1.heapUsed + m1.arrayBuffers - (m0.heapUsed + m0.arrayBuffers);
    // 2 000 × 16 KiB = 32 MiB offered; what is held is bounded by the in-flight window and the
    // high-water mark (plus the requests' own bookkeeping), not by the offer.
    expect(mux.stat().inFlight).toBeLessThanOrEqual(64);
    expect(grew).toBeLessThan(16 * 1024 * 1024);
    rawSocket(slow!).resume();
    const outcomes = await Promise.all(calls);
    outcomes.forEach((o, i) => {
      if (o === 'lost') return t.lost();
      if (!o.ok) return t.fail(o.error);
      if (o.value !== `${i}:${big}`) t.mismatch();
      t.ok();
    });
    expect(t.figures.ok).toBe(COUNT);
    stopSampling();
    t.assertClean();
    t.set('offeredMiB', 32);
    t.set('heldWhileStalledMiB', Math.round((grew / 1024 / 1024) * 10) / 10);
    await rig.finish(() => mux.close(), t);
    expect(t.figures.leakedHandles).toBe(0);
  });

  it('the proxy closes idle tunnels after 1 s: a request never lands on a dead connection twice in a row', async () => {
    const t = tally('MultiplexPool: proxy closes idle tunnels after 1 s');
    const rig = await startRig();
    rig.proxy.idleTimeout(1_000);
    const mux = new Mux({ ...BASE, url: rig.url, codec: echoCodec, minConns: 2, maxConns: 4 });
    const stopSampling = sampleStats(mux, t);
    const acceptedBefore = rig.proxy.accepted;
    let maxStreak = 0;
    const cycles = STRESS ? 8 : 3;
    for (let c = 0; c < cycles; c++) {
      await Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          let streak = 0;
          for (let i = 0; i < 10; i++) {
            const r = await request(mux, t, `c${c}w${w}i${i}`);
            streak = r === 'closed' ? streak + 1 : 0;
            maxStreak = Math.max(maxStreak, streak);
          }
        }),
      );
      await sleep(900 + Math.round(Math.random() * 500));
    }
    const reconnects = rig.proxy.accepted - acceptedBefore;
    expect(reconnects).toBeGreaterThan(0);
    expect(maxStreak).toBeLessThanOrEqual(1);
    for (const code of Object.keys(t.figures.errors)) expect(code).toBe('WSPOOL_ERR_CONNECTION_CLOSED');
    stopSampling();
    t.assertClean();
    t.set('idleCuts(reconnects)', reconnects);
    t.set('maxConsecutiveClosedPerCaller', maxStreak);
    await rig.finish(() => mux.close(), t);
    expect(t.figures.leakedHandles).toBe(0);
  });
});

describe('JsonRpcPool under faults', () => {
  it('connections cut and refused under 20 callers: every call settles, results match their params', async () => {
    const t = tally('JsonRpcPool: connections reset and refused under 20 callers');
    const rig = await startRig({
      handler: (ws) => {
        ws.on('message', (data: Buffer) => {
          const msg = JSON.parse(data.toString()) as unknown;
          const answer = (m: { id?: number; method: string; params?: unknown[] }): unknown =>
            m.method === 'fail'
              ? { jsonrpc: '2.0', id: m.id, error: { code: -32000, message: 'asked to fail' } }
              : { jsonrpc: '2.0', id: m.id, result: m.params };
          const out = Array.isArray(msg)
            ? (msg as { id?: number; method: string; params?: unknown[] }[]).map(answer)
            : answer(msg as { id?: number; method: string; params?: unknown[] });
          ws.send(JSON.stringify(out));
        });
      },
    });
    const rpc = new JsonRpcPool({ ...BASE, url: rig.url, minConns: 2, maxConns: 4 });
    const stopSampling = sampleStats(rpc, t);
    let stop = false;
    const callers = Array.from({ length: 20 }, async (_, w) => {
      for (let n = 0; !stop; n++) {
        const params = [w, n, Math.random()];
        const outcome = await settleWithin(rpc.call('echo', params, { timeout: 1_500 }), CALL_DEADLINE);
        checkMux(t, rpc);
        if (outcome === 'lost') t.lost();
        else if (!outcome.ok) {
          t.fail(outcome.error);
          await sleep(50);
        } else {
          if (JSON.stringify(outcome.value) !== JSON.stringify(params)) t.mismatch();
          t.ok();
        }
      }
    });
    for (let r = 0; r < (STRESS ? 5 : 2); r++) {
      await sleep(300);
      rig.proxy.refuse(true);
      rig.proxy.cutAll();
      await sleep(300);
      rig.proxy.refuse(false);
    }
    const okBefore = t.figures.ok;
    await sleep(500);
    expect(t.figures.ok - okBefore).toBeGreaterThan(20);
    // A remote error is typed and carries the server's error object.
    const remote = await settleWithin(rpc.call('fail', []), CALL_DEADLINE);
    expect(remote !== 'lost' && !remote.ok && remote.error).toMatchObject({
      code: 'WSPOOL_ERR_REMOTE',
      data: { code: -32000, message: 'asked to fail' },
    });
    stop = true;
    await Promise.all(callers);
    stopSampling();
    t.assertClean();
    expect(t.errorCount).toBeGreaterThan(0);
    for (const code of Object.keys(t.figures.errors)) expect(TRANSIENT).toContain(code);
    await rig.finish(() => rpc.close(), t);
    expect(t.figures.leakedHandles).toBe(0);
  });
});
