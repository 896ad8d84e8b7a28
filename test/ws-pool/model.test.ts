// Property test of the exclusive Pool at its edges, on a real server with a fake clock: random
// sequences of acquires (each with a timeout or a signal), releases (some with an error), destroys,
// aborts and clock steps, while hooks hang or throw and peers stop answering pings. After every step
// the stat() invariants hold and totalConns never exceeds maxConns; every acquire settles by its own
// deadline (or at once when aborted); close({ timeout }) settles everything, and leaves nothing.
//
// WSPOOL_STRESS=1 runs about 17× more sequences.
import fc from 'fast-check';
import { expect, it, vi } from 'vitest';
import type { Connection, PooledConnection } from '../../src/index.js';
import {
  PoolJar,
  checkStat,
  startPeerServer,
  track,
  turns,
  until,
  useFakeClock,
  useSuiteServer,
  type Outcome,
} from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);
const NUM_RUNS = process.env.WSPOOL_STRESS === '1' ? 1_000 : 60;

/** What a hook does on its next call. */
type Mode = 'ok' | 'false' | 'throw' | 'hang';

type Cmd =
  | { t: 'acquire'; timeout: number }
  | { t: 'acquireSignal' }
  | { t: 'abort'; k: number }
  | { t: 'release'; k: number; error: boolean }
  | { t: 'destroy'; k: number }
  | { t: 'advance'; ms: number }
  | { t: 'mute'; on: boolean }
  | { t: 'hook'; which: 'afterConnect' | 'beforeAcquire' | 'afterRelease'; mode: Mode };

const k = fc.nat(7);
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ t: fc.constant('acquire' as const), timeout: fc.integer({ min: 1, max: 600 }) }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('acquireSignal' as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('abort' as const), k }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('release' as const), k, error: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('destroy' as const), k }) },
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400 }) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('mute' as const), on: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('hook' as const),
      which: fc.constantFrom('afterConnect' as const, 'beforeAcquire' as const, 'afterRelease' as const),
      mode: fc.constantFrom<Mode>('ok', 'ok', 'false', 'throw', 'hang'),
    }),
  },
);

interface Acq {
  outcome: Outcome<PooledConnection>;
  deadline: number; // fake-clock ms; Infinity for a signal-only acquire
  controller: AbortController | undefined;
  done: boolean; // its handle was released or destroyed by the test
}

/** A hook's behaviour for `mode`; a hanging connection hook waits on a read that never comes. */
function act(mode: Mode, conn?: Connection): boolean | Promise<never> | undefined {
  if (mode === 'throw') throw new Error('hook failed');
  if (mode === 'false') return false;
  if (mode === 'hang') {
    conn?.readMessage().catch(() => undefined); // rejects when the connection is destroyed
    return new Promise<never>(() => undefined);
  }
  return undefined;
}

it('hooks that hang or throw and silent peers never stretch a deadline, break stat() or exceed maxConns', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 3 }),
      fc.array(cmdArb, { minLength: 5, maxLength: 25 }),
      fc.integer({ min: 0, max: 300 }),
      async (maxConns, cmds, closeTimeout) => {
        useFakeClock();
        const modes = { afterConnect: 'ok' as Mode, beforeAcquire: 'ok' as Mode, afterRelease: 'ok' as Mode };
        const firstPeer = server.peers.length;
        let muted = false;
        const pool = jar.pool({
          url: server.url,
          maxConns,
          pingIdleAfter: 100,
          pingTimeout: 250,
          healthCheckPeriod: 300,
          closeTimeout: 200,
          afterConnect: (conn) => act(modes.afterConnect, conn) as undefined,
          beforeAcquire: (conn) => act(modes.beforeAcquire, conn),
          afterRelease: (conn) => act(modes.afterRelease, conn),
        });
        const acquires: Acq[] = [];
        const step = async (where: string): Promise<void> => {
          await turns(3);
          checkStat(pool.stat(), where);
          // Every acquire past its deadline has settled (the clock is fake: nothing else moves it).
          const t = Date.now();
          for (const a of acquires) {
            if (a.deadline <= t)
              await until(() => a.outcome.status !== 'pending', `${where}: an acquire past its deadline`);
          }
        };
        try {
          for (const [i, cmd] of cmds.entries()) {
            const where = `step ${i} ${JSON.stringify(cmd)}`;
            const held = acquires.filter((a) => a.outcome.status === 'fulfilled' && !a.done);
            const pick = (n: number): Acq | undefined => held[n % Math.max(1, held.length)];
            switch (cmd.t) {
              case 'acquire':
                acquires.push({
                  outcome: track(pool.acquire({ timeout: cmd.timeout })),
                  deadline: Date.now() + cmd.timeout,
                  controller: undefined,
                  done: false,
                });
                break;
              case 'acquireSignal': {
                const controller = new AbortController();
                acquires.push({
                  outcome: track(pool.acquire({ signal: controller.signal })),
                  deadline: Infinity,
                  controller,
                  done: false,
                });
                break;
              }
              case 'abort': {
                const waiting = acquires.filter((a) => a.controller && a.outcome.status === 'pending');
                const a = waiting[cmd.k % Math.max(1, waiting.length)];
                if (a) {
                  a.controller!.abort(new Error('abort'));
                  await until(() => a.outcome.status !== 'pending', `${where}: an aborted acquire`);
                }
                break;
              }
              case 'release':
              case 'destroy': {
                const a = pick(cmd.k);
                if (!a) break;
                a.done = true;
                const conn = a.outcome.value!;
                if (cmd.t === 'destroy') conn.destroy();
                else if (cmd.error) conn.release(new Error('work failed'));
                else conn.release();
                break;
              }
              case 'advance':
                await vi.advanceTimersByTimeAsync(cmd.ms);
                break;
              case 'mute':
                muted = cmd.on;
                for (const peer of server.peers.slice(firstPeer)) peer.muted = muted;
                break;
              case 'hook':
                modes[cmd.which] = cmd.mode;
                break;
            }
            for (const peer of server.peers.slice(firstPeer)) peer.muted ||= muted;
            await step(where);
          }
          // close({ timeout }) settles every acquire and itself within its timeout (+ closeTimeout
          // for the closing handshakes), whatever hangs.
          const closing = track(pool.close({ timeout: closeTimeout }));
          await vi.advanceTimersByTimeAsync(closeTimeout + 200);
          await until(() => closing.status === 'fulfilled', 'close({ timeout })');
          for (const a of acquires) expect(a.outcome.status).not.toBe('pending');
          expect(pool.stat().totalConns).toBe(0);
          // The server shares the fake clock: its own close timers go once it sees every socket closed.
          await until(
            () => server.peers.slice(firstPeer).every((peer) => peer.closedWith !== undefined),
            'the server to see every socket closed',
          );
          expect(vi.getTimerCount()).toBe(0); // and the pool left none
        } finally {
          for (const a of acquires)
            if (a.outcome.status === 'fulfilled' && !a.done) a.outcome.value!.release();
          vi.useRealTimers();
          await jar.closeAll();
        }
      },
    ),
    { numRuns: NUM_RUNS },
  );
}, 120_000);
