// Soak: every fault of the fault suite, mixed at random with load on a Pool and a MultiplexPool
// sharing one server and proxy, for WSPOOL_SOAK_SECONDS seconds
// (skipped when unset). Prints a report — requests, errors by code, lost/mismatched replies, faults
// injected, heap and handle counts before and after — and fails on any lost or misdelivered reply,
// an untyped error, a broken stat() invariant, heap growth, or a socket/timer left after close().
//
//   WSPOOL_SOAK_SECONDS=300 npx vitest run test/soak
//
// With WSPOOL_WRITE_FIGURES=1 the report also goes to docs/reliability-figures.json (suite "soak").
import { describe, expect, it } from 'vitest';
import { MultiplexPool, Pool, type Codec } from '../../src/index.js';
import { startRig } from '../faults/rig.js';
import {
  allFigures,
  assertNoSecrets,
  settledMemory,
  realTime,
  sleep,
  subscribeDiagnostics,
  tally,
  unsubscribeDiagnostics,
  writeFigures,
  exchange,
  request,
} from '../faults/support.js';
import { snapshotHandles } from '../helpers/index.js';

const SECONDS = Number(process.env.WSPOOL_SOAK_SECONDS ?? 0);
const WORKERS = 32;
const MUX_WORKERS = 32;

/** The echo server returns each request frame: its value must be the caller's own payload. */
const echoCodec: Codec<string, string> = {
  encode: (req, id) => JSON.stringify({ id, p: req }),
  decode: (frame) => {
    const o = JSON.parse(String(frame)) as { id?: number; p?: string };
    return typeof o.id === 'number' ? { id: o.id, ok: true, value: String(o.p) } : undefined;
  },
};

/** The soak's calls get longer deadlines than the fault scenarios: every fault is mixed in at once. */
const SOAK_EXCHANGE = { acquireTimeout: 3_000, readTimeout: 1_500, deadline: 20_000 } as const;
const SOAK_REQUEST = { timeout: 1_500, deadline: 20_000 } as const;

type Fault = 'restart' | 'blackhole' | 'latency' | 'cutAll' | 'idleTimeout' | 'stall' | 'refuse';
const FAULTS: Fault[] = ['restart', 'blackhole', 'latency', 'cutAll', 'idleTimeout', 'stall', 'refuse'];

function sockets(): number {
  const h = snapshotHandles();
  return (h.TCPSocketWrap ?? 0) + (h.TLSWrap ?? 0);
}

describe.skipIf(!(SECONDS > 0))(`soak (${SECONDS} s)`, () => {
  it(
    'all faults mixed with load: every call settles typed, no reply misdelivered, no growth',
    async () => {
      subscribeDiagnostics();
      const t = tally(`soak: all faults mixed, ${SECONDS} s, ${WORKERS} workers`);
      const rig = await startRig();
      const pool = new Pool({
        url: rig.url,
        minConns: 4,
        maxConns: 16,
        healthCheckPeriod: 500,
        pingIdleAfter: 200,
        pingTimeout: 300,
        connectTimeout: 1_000,
        closeTimeout: 300,
      });
      const tm = tally(`soak: MultiplexPool, same faults, ${MUX_WORKERS} callers`);
      const mux = new MultiplexPool<string, string>({
        url: rig.url,
        codec: echoCodec,
        minConns: 2,
        maxConns: 4,
        maxInFlightPerConn: 16,
        healthCheckPeriod: 500,
        pingIdleAfter: 200,
        pingTimeout: 300,
        connectTimeout: 1_000,
        closeTimeout: 300,
      });
      let stop = false;
      const workers = [
        ...Array.from({ length: WORKERS }, async (_, w) => {
          for (let n = 0; !stop; n++) {
            if (!(await exchange(pool, t, `w${w}:${n}:${Math.random()}`, SOAK_EXCHANGE))) await sleep(25);
          }
        }),
        ...Array.from({ length: MUX_WORKERS }, async (_, w) => {
          for (let n = 0; !stop; n++) {
            if ((await request(mux, tm, `m${w}:${n}:${Math.random()}`, SOAK_REQUEST)) !== 'ok')
              await sleep(25);
          }
        }),
      ];

      // Warm up without faults, then take the baseline.
      await sleep(2_000);
      const heapBefore = (await settledMemory()).heapUsed;
      const socketsBefore = sockets();

      const injected: Record<string, number> = {};
      const end = realTime() + SECONDS * 1_000;
      while (realTime() < end) {
        const fault = FAULTS[Math.floor(Math.random() * FAULTS.length)]!;
        injected[fault] = (injected[fault] ?? 0) + 1;
        const echo = rig.echo;
        switch (fault) {
          case 'restart':
            await echo.stop();
            await sleep(300);
            await echo.start();
            break;
          case 'blackhole':
            rig.proxy.blackhole();
            await sleep(400);
            rig.proxy.pass();
            break;
          case 'latency':
            rig.proxy.latency(40);
            await sleep(800);
            rig.proxy.latency(0);
            break;
          case 'cutAll':
            rig.proxy.cutAll();
            break;
          case 'idleTimeout':
            rig.proxy.idleTimeout(300);
            await sleep(1_000);
            rig.proxy.idleTimeout(0);
            break;
          case 'stall':
            rig.proxy.stall(true);
            await sleep(500);
            rig.proxy.stall(false);
            break;
          case 'refuse':
            rig.proxy.refuse(true);
            await sleep(300);
            rig.proxy.refuse(false);
            break;
        }
        await sleep(200 + Math.random() * 800);
      }

      // Heal, let the load run clean, then compare.
      const okBeforeHeal = t.figures.ok;
      const muxOkBeforeHeal = tm.figures.ok;
      await sleep(2_000);
      const okAfterHeal = t.figures.ok - okBeforeHeal;
      const muxOkAfterHeal = tm.figures.ok - muxOkBeforeHeal;
      stop = true;
      await Promise.all(workers);
      const heapAfter = (await settledMemory()).heapUsed;
      const socketsAfter = sockets();
      const stat = pool.stat();

      const muxStat = mux.stat();
      const report = {
        seconds: SECONDS,
        workers: WORKERS,
        multiplex: {
          callers: MUX_WORKERS,
          requests: tm.figures.requests,
          ok: tm.figures.ok,
          errorsByCode: tm.figures.errors,
          lost: tm.figures.lost,
          mismatched: tm.figures.mismatched,
          untyped: tm.figures.untyped,
          statViolations: tm.figures.statViolations,
          okInLast2sAfterHeal: muxOkAfterHeal,
          lateReplies: muxStat.lateReplies,
          newConns: muxStat.newConnsCount,
          failedDials: muxStat.failedConnectCount,
        },
        requests: t.figures.requests,
        ok: t.figures.ok,
        errorsByCode: t.figures.errors,
        lost: t.figures.lost,
        mismatched: t.figures.mismatched,
        untyped: t.figures.untyped,
        statChecks: t.figures.statChecks,
        statViolations: t.figures.statViolations,
        faultsInjected: injected,
        okInLast2sAfterHeal: okAfterHeal,
        heapUsedMiB: { before: mib(heapBefore), after: mib(heapAfter) },
        socketsWhileRunning: { before: socketsBefore, after: socketsAfter },
        pool: {
          newConns: stat.newConnsCount,
          failedDials: stat.failedConnectCount,
          healthCheckDestroys: stat.healthCheckDestroyCount,
        },
      };
      for (const [key, value] of Object.entries(injected)) t.set(`faults.${key}`, value);
      t.set('heapUsedMiB.before', mib(heapBefore));
      t.set('heapUsedMiB.after', mib(heapAfter));
      t.set('sockets.before', socketsBefore);
      t.set('sockets.after', socketsAfter);

      t.assertClean();
      tm.assertClean();
      expect(okAfterHeal).toBeGreaterThan(WORKERS); // service resumed after the last fault
      expect(muxOkAfterHeal).toBeGreaterThan(MUX_WORKERS);
      // No growth: heap within 8 MiB (or 25 %) of the warm baseline; sockets bounded by the pool's
      // cap (each pooled connection is 4 sockets here: client, two proxy sides, server).
      expect(heapAfter - heapBefore).toBeLessThan(Math.max(8 * 1024 * 1024, heapBefore * 0.25));
      expect(socketsAfter).toBeLessThanOrEqual(socketsBefore + (16 + 4) * 4);

      await rig.finish(async () => {
        await mux.close();
        await pool.close();
      }, t);
      tm.figures.leakedHandles = t.figures.leakedHandles; // one rig, measured once for both pools
      expect(t.figures.leakedHandles).toBe(0);
      unsubscribeDiagnostics();
      assertNoSecrets();
      process.stdout.write(
        `\nwspool soak report\n${JSON.stringify({ ...report, leakedAfterClose: t.figures.leakedHandles }, null, 2)}\n`,
      );
      await writeFigures('soak', allFigures);
    },
    (SECONDS + 120) * 1_000,
  );
});

function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}
