// Several endpoints per pool, against real servers behind TCP proxies: every scenario runs for the
// exclusive Pool and for JsonRpcPool. Ejection clocks run on the fake clock (useFakeClock: sockets
// stay real); the proxies switch the faults.
import diagnostics from 'node:diagnostics_channel';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CHANNELS, WsPoolError } from '../../src/index.js';
import { PoolJar, until, useFakeClock, within, wsErrorOf } from '../multiplex/support.js';
import { advance, KINDS, load, loadFor, pacedClock, shares, startCluster, type Cluster } from './cluster.js';

let cluster: Cluster;
const jar = new PoolJar();

beforeAll(async () => {
  cluster = await startCluster(3);
});
afterEach(async () => {
  await jar.closeAll();
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const node of cluster.nodes) {
    node.up();
    node.proxy.pass();
    node.proxy.latency(0);
    node.served = 0;
  }
});
afterAll(async () => {
  await cluster.close();
});

const BASE = { connectTimeout: 2_000, pingTimeout: 1_000, closeTimeout: 500 } as const;

describe.each(KINDS)('$kind with endpoints', ({ make }) => {
  it('one endpoint down from the start: 500 calls, zero errors, none to it', async () => {
    cluster.nodes[0]!.down();
    const pool = jar.add(make({ ...BASE, endpoints: cluster.urls, maxConns: 4 }));
    const { names, errors } = await within(load(pool, 500, 8), 20_000, '500 calls');
    expect(errors).toEqual([]);
    expect(names).toHaveLength(500);
    expect(cluster.nodes[0]!.served).toBe(0);
    const [down] = pool.endpoints();
    expect(down!.failures).toBeGreaterThan(0);
    expect(['failing', 'ejected']).toContain(down!.state);
    expect(down!.openConns).toBe(0);
  });

  it('one killed mid-load: only its in-flight calls fail, typed; the rest carry on', async () => {
    const pool = jar.add(make({ ...BASE, endpoints: cluster.urls, maxConns: 6 }));
    const warm = await load(pool, 300, 6);
    expect(warm.errors).toEqual([]);
    expect(shares(warm.names, 3).every((n) => n > 0)).toBe(true);
    const victim = cluster.nodes[1]!;
    const running = load(pool, 600, 6);
    await until(() => cluster.served().reduce((a, b) => a + b) >= 400, 'load under way');
    victim.down();
    const servedAtKill = victim.served;
    const { errors, names } = await within(running, 20_000, 'the load');
    // At most one call per worker was on the victim when it died; each fails typed.
    expect(errors.length).toBeLessThanOrEqual(6);
    for (const error of errors) {
      expect(error).toBeInstanceOf(WsPoolError);
      expect((error as WsPoolError).code).toBe('WSPOOL_ERR_CONNECTION_CLOSED');
    }
    expect(names.length + errors.length).toBe(600);
    expect(victim.served).toBe(servedAtKill);
    const after = await load(pool, 200, 6);
    expect(after.errors).toEqual([]);
    expect(shares(after.names, 3)[1]).toBe(0);
  });

  it("'priority': everything on the first; fails over; fails back after failbackAfter", async () => {
    useFakeClock();
    const pool = jar.add(
      make({ ...BASE, endpoints: cluster.urls, balance: 'priority', failbackAfter: 5_000, maxConns: 4 }),
    );
    const first = await load(pool, 50, 4);
    expect(shares(first.names, 3)).toEqual([50, 0, 0]);
    cluster.nodes[0]!.down();
    await until(() => pool.endpoints()[0]!.state !== 'ready', 'the loss noticed');
    const over = await load(pool, 50, 4);
    expect(over.errors).toEqual([]);
    expect(shares(over.names, 3)).toEqual([0, 50, 0]);
    cluster.nodes[0]!.up();
    // Its backoff probe (≤ 1.2 s) re-admits it; the failback waits failbackAfter from then.
    await advance(1_300);
    await until(() => pool.endpoints()[0]!.state === 'ready', 'n0 ready again');
    const still = await load(pool, 20, 4);
    expect(shares(still.names, 3)).toEqual([0, 20, 0]);
    await advance(5_000);
    const back = await load(pool, 50, 4);
    expect(back.errors).toEqual([]);
    expect(shares(back.names, 3)).toEqual([50, 0, 0]);
  });

  it('one slow (+100 ms each way): its share collapses, then recovers once it is fast again', async () => {
    useFakeClock();
    const clock = pacedClock(); // round trips measure real time; advance() still jumps ahead
    try {
      const pool = jar.add(
        make({
          ...BASE,
          endpoints: cluster.urls.slice(0, 2),
          maxConns: 6,
          maxConnLifetime: 1_000, // exclusive pools re-place connections as they are replaced
          healthCheckPeriod: 500,
          pingIdleAfter: 250,
        }),
      );
      const before = shares((await loadFor(pool, 600, 6)).names, 2);
      expect(before[1]! / (before[0]! + before[1]!)).toBeGreaterThan(0.1);
      const slow = cluster.nodes[1]!.proxy;
      slow.latency(100);
      await loadFor(pool, 1_500, 6); // the slow answers come in, and connections turn over
      const during = await loadFor(pool, 1_000, 6);
      expect(during.errors).toEqual([]);
      const [fast, slowShare] = shares(during.names, 2);
      expect(slowShare! / (fast! + slowShare!)).toBeLessThan(0.05);
      slow.latency(0);
      // Pings on its connections, or with none left the decay of a stale average toward the
      // fastest one's (τ = 10 s), bring it back into the choice.
      await advance(120_000, 500);
      const after = shares((await loadFor(pool, 800, 6)).names, 2);
      expect(after[1]! / (after[0]! + after[1]!)).toBeGreaterThan(0.1);
    } finally {
      clock.stop();
    }
  });

  it('weights 3:1 split the work 3:1', async () => {
    useFakeClock(); // latency samples are all 0: the split is the weights' alone
    const pool = jar.add(
      make({
        ...BASE,
        endpoints: [{ url: cluster.urls[0]!, weight: 3 }, cluster.urls[1]!],
        maxConns: 8,
      }),
    );
    const { names, errors } = await load(pool, 800, 8);
    expect(errors).toEqual([]);
    const [a, b] = shares(names, 2);
    expect(a! / b!).toBeGreaterThan(2.4);
    expect(a! / b!).toBeLessThan(3.6);
  });

  it('an ejected endpoint is re-admitted by its probe with no traffic at all', async () => {
    useFakeClock();
    const events: string[] = [];
    const onEject = (m: unknown): void => void events.push(`eject ${(m as { url: string }).url}`);
    const onReadmit = (m: unknown): void => void events.push(`readmit ${(m as { url: string }).url}`);
    diagnostics.subscribe(CHANNELS.endpointEject, onEject);
    diagnostics.subscribe(CHANNELS.endpointReadmit, onReadmit);
    const reported: { phase: string; url: string; code: string }[] = [];
    try {
      cluster.nodes[0]!.down();
      const pool = jar.add(
        make({
          ...BASE,
          endpoints: cluster.urls,
          ejectAfterFailures: 2,
          ejectionTime: 10_000,
          minConns: 3,
          onError: (error, info) => reported.push({ phase: info.phase, url: info.url, code: error.code }),
        }),
      );
      // The fill dials each endpoint; n0 fails, its backoff probe fails too: ejected.
      await until(() => pool.endpoints()[0]!.failures >= 1, 'the first failure');
      await advance(1_500);
      await until(() => pool.endpoints()[0]!.state === 'ejected', 'n0 ejected');
      expect(pool.endpoints()[0]!.openConns).toBe(0);
      expect(reported).toEqual([
        { phase: 'endpoint', url: cluster.urls[0], code: 'WSPOOL_ERR_CONNECT_FAILED' },
      ]);
      cluster.nodes[0]!.up();
      const served = cluster.served();
      await advance(11_000, 500);
      await until(() => pool.endpoints()[0]!.state === 'ready', 'n0 re-admitted');
      expect(cluster.served()).toEqual(served); // no call was made: the probe alone decided
      expect(pool.endpoints()[0]!).toMatchObject({ consecutiveFailures: 0, ejectedUntil: undefined });
      expect(events).toEqual([`eject ${cluster.urls[0]}`, `readmit ${cluster.urls[0]}`]);
    } finally {
      diagnostics.unsubscribe(CHANNELS.endpointEject, onEject);
      diagnostics.unsubscribe(CHANNELS.endpointReadmit, onReadmit);
    }
  });

  it('all down: a fast CONNECT_FAILED with every endpoint in an AggregateError; jittered redials; the first back serves', async () => {
    useFakeClock();
    const draws = [0.1, 0.5, 0.9];
    let i = 0;
    vi.spyOn(Math, 'random').mockImplementation(() => draws[i++ % 3]!);
    for (const node of cluster.nodes) node.down();
    const pool = jar.add(make({ ...BASE, endpoints: cluster.urls, ejectAfterFailures: 3 }));
    // No fake time passes: the failure comes from the refused dials, not from a timeout.
    const error = await wsErrorOf(pool.call(), 'WSPOOL_ERR_CONNECT_FAILED');
    expect(error.cause).toBeInstanceOf(AggregateError);
    expect((error.cause as AggregateError).errors).toHaveLength(3);
    expect(error.message).not.toMatch(/undefined/);
    // Redials (probes) come at each endpoint's own jittered backoff, not together.
    const firstRedial: (number | undefined)[] = [undefined, undefined, undefined];
    const base = cluster.nodes.map((node) => node.proxy.accepted);
    for (let t = 0; t < 1_300; t += 50) {
      await advance(50, 50);
      cluster.nodes.forEach((node, k) => {
        if (firstRedial[k] === undefined && node.proxy.accepted > base[k]!) firstRedial[k] = t;
      });
    }
    expect(firstRedial.every((t) => t !== undefined)).toBe(true);
    expect(new Set(firstRedial).size).toBe(3);
    cluster.nodes[2]!.up();
    await advance(4_000);
    await until(() => pool.endpoints()[2]!.state === 'ready', 'n2 back');
    const { names, errors } = await load(pool, 20, 2);
    expect(errors).toEqual([]);
    expect(shares(names, 3)).toEqual([0, 0, 20]);
  });

  it('one flapping every 2 s: ejections lengthen, then the count decays', async () => {
    useFakeClock();
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // no jitter: the lengths below are exact
    const ejectedFor: number[] = [];
    const onEject = (m: unknown): void => {
      const { ejectedUntil } = m as { ejectedUntil: number };
      ejectedFor.push(ejectedUntil - Date.now());
    };
    diagnostics.subscribe(CHANNELS.endpointEject, onEject);
    try {
      const flappy = cluster.nodes[0]!;
      const pool = jar.add(
        make({
          ...BASE,
          endpoints: cluster.urls,
          minConns: 3,
          maxConns: 3,
          maxConnLifetime: 1_000, // connections churn, so the flapping one keeps getting some
          healthCheckPeriod: 250,
          ejectAfterFailures: 2,
          ejectionTime: 3_000,
          maxEjectionTime: 60_000,
        }),
      );
      await until(() => pool.endpoints().every((e) => e.state === 'ready'), 'all ready');
      const errors: unknown[] = [];
      const step = async (): Promise<void> => {
        const { errors: failed } = await load(pool, 6, 3);
        errors.push(...failed);
        await advance(250, 250);
      };
      for (let cycle = 0; cycle < 5; cycle++) {
        flappy.down();
        for (let t = 0; t < 2_000; t += 250) await step();
        flappy.up();
        for (let t = 0; t < 2_000; t += 250) await step();
      }
      // Only calls caught on a connection that was cut fail, and they fail typed.
      for (const error of errors) expect((error as WsPoolError).code).toBe('WSPOOL_ERR_CONNECTION_CLOSED');
      // The n-th ejection in a row lasts n × ejectionTime: they lengthen while it keeps flapping.
      expect(ejectedFor.length).toBeGreaterThanOrEqual(3);
      expect(Math.max(...ejectedFor)).toBeGreaterThan(ejectedFor[0]!);
      expect(ejectedFor[0]).toBe(3_000);
      const peak = Math.round(Math.max(...ejectedFor) / 3_000);
      expect(peak).toBeGreaterThanOrEqual(2);
      // Stable again: re-admitted, then one ejection forgiven per ejectionTime healthy.
      for (let i = 0; i < 100 && pool.endpoints()[0]!.state !== 'ready'; i++) await advance(250, 250);
      expect(pool.endpoints()[0]!.state).toBe('ready');
      const left = pool.endpoints()[0]!.ejections;
      expect(left).toBeGreaterThan(0);
      await advance(3_000, 500);
      expect(pool.endpoints()[0]!.ejections).toBe(left - 1);
      await advance(left * 3_000, 500);
      expect(pool.endpoints()[0]!.ejections).toBe(0);
    } finally {
      diagnostics.unsubscribe(CHANNELS.endpointEject, onEject);
    }
  });
});
