import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveEndpoints } from '../../src/endpoints/config.js';
import { EndpointSet, type Endpoint, type EndpointHost } from '../../src/endpoints/endpoint-set.js';

interface Probe {
  endpoint: Endpoint;
  resolve: (rtt: number | undefined) => void;
  reject: (error: unknown) => void;
}

class FakeHost implements EndpointHost {
  readonly probes: Probe[] = [];
  readonly events: string[] = [];
  probe(endpoint: Endpoint): Promise<number | undefined> {
    return new Promise((resolve, reject) => this.probes.push({ endpoint, resolve, reject }));
  }
  ejected(endpoint: Endpoint): void {
    this.events.push(`eject ${endpoint.index}`);
  }
  readmitted(endpoint: Endpoint): void {
    this.events.push(`readmit ${endpoint.index}`);
  }
  retargeted(endpoint: Endpoint): void {
    this.events.push(`target ${endpoint.index}`);
  }
}

function makeSet(extra: Record<string, unknown> = {}, n = 3): { set: EndpointSet; host: FakeHost } {
  const resolved = resolveEndpoints({
    endpoints: Array.from({ length: n }, (_, i) => `ws://e${i}.test`),
    ejectAfterFailures: 3,
    ejectionTime: 10_000,
    maxEjectionTime: 25_000,
    ...extra,
  });
  const host = new FakeHost();
  // random() = 0.5: no jitter, so the numbers below are exact.
  const set = new EndpointSet(resolved.endpoints!, host, () => 0.5);
  return { set, host };
}

const flush = () => Promise.resolve().then(() => undefined);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('EndpointSet', () => {
  it('ejects after the consecutive failures, for ejectionTime, then one probe re-admits it', async () => {
    const { set, host } = makeSet();
    const e0 = set.list[0]!;
    for (let i = 0; i < 3; i++) set.failed(e0, new Error('refused'), true);
    expect(host.events).toEqual(['eject 0']);
    expect(set.stat()[0]).toMatchObject({
      state: 'ejected',
      ejections: 1,
      ejectedUntil: 1_010_000,
      failures: 3,
    });
    // No work goes there while ejected.
    expect(set.pick('conns')).toBe(set.list[1]);
    vi.advanceTimersByTime(9_999);
    expect(host.probes).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(host.probes.map((p) => p.endpoint)).toEqual([e0]);
    host.probes[0]!.resolve(4);
    await flush();
    expect(host.events).toEqual(['eject 0', 'readmit 0']);
    expect(set.stat()[0]).toMatchObject({
      state: 'ready',
      latencyMs: 4,
      consecutiveFailures: 0,
      ejectedUntil: undefined,
    });
    set.stop();
  });

  it('a failed probe ejects again, n times as long, capped; healthy time decays the count', async () => {
    const { set, host } = makeSet();
    const e0 = set.list[0]!;
    for (let i = 0; i < 3; i++) set.failed(e0, new Error('refused'), true);
    vi.advanceTimersByTime(10_000);
    host.probes.shift()!.reject(new Error('still down'));
    await flush();
    expect(set.stat()[0]).toMatchObject({ state: 'ejected', ejections: 2, ejectedUntil: 1_030_000 });
    vi.advanceTimersByTime(20_000);
    host.probes.shift()!.reject(new Error('still down'));
    await flush();
    // 3 × 10 s capped at 25 s.
    expect(set.stat()[0]).toMatchObject({ ejections: 3, ejectedUntil: 1_055_000 });
    vi.advanceTimersByTime(25_000);
    host.probes.shift()!.resolve(1);
    await flush();
    expect(set.stat()[0]!.ejections).toBe(3);
    vi.advanceTimersByTime(10_000);
    expect(set.stat()[0]!.ejections).toBe(2);
    vi.advanceTimersByTime(20_000);
    expect(set.stat()[0]!.ejections).toBe(0);
    set.stop();
  });

  it('a probe with no room under maxConns is retried later, without a verdict', async () => {
    const { set, host } = makeSet();
    const e0 = set.list[0]!;
    for (let i = 0; i < 3; i++) set.failed(e0, new Error('refused'), true);
    vi.advanceTimersByTime(10_000);
    host.probes.shift()!.resolve(undefined);
    await flush();
    expect(set.stat()[0]).toMatchObject({ state: 'ejected', ejections: 1, failures: 3 });
    vi.advanceTimersByTime(1_000);
    host.probes.shift()!.resolve(3);
    await flush();
    expect(set.stat()[0]!.state).toBe('ready');
    set.stop();
  });

  it('a failing endpoint is probed after its jittered backoff even with no traffic', async () => {
    const { set, host } = makeSet();
    const e1 = set.list[1]!;
    set.failed(e1, new Error('timeout'), false);
    expect(set.stat()[1]!.state).toBe('failing');
    vi.advanceTimersByTime(1_000);
    expect(host.probes.map((p) => p.endpoint)).toEqual([e1]);
    host.probes.shift()!.resolve(2);
    await flush();
    expect(set.stat()[1]).toMatchObject({ state: 'ready', consecutiveFailures: 0 });
    set.stop();
  });

  it('a failed dial sends new dials elsewhere for the backoff', () => {
    const { set } = makeSet({}, 2);
    set.failed(set.list[0]!, new Error('refused'), true);
    expect(set.pick('conns')).toBe(set.list[1]);
    vi.advanceTimersByTime(999);
    expect(set.pick('conns')).toBe(set.list[1]);
    set.stop();
  });

  it('every endpoint ejected: work still goes somewhere', () => {
    const { set } = makeSet({}, 2);
    for (const e of set.list) for (let i = 0; i < 3; i++) set.failed(e, new Error('x'), true);
    expect(set.stat().map((s) => s.state)).toEqual(['ejected', 'ejected']);
    expect(set.pick('conns')).toBeDefined();
    set.stop();
  });

  it('retries skip tried endpoints; undefined once all were tried', () => {
    const { set } = makeSet({}, 2);
    const [a, b] = set.list as [Endpoint, Endpoint];
    expect(set.pick('conns', new Set([a]))).toBe(b);
    expect(set.pick('conns', new Set([a, b]))).toBeUndefined();
    expect(set.pick('conns', undefined, (e) => e !== a)).toBe(b);
    set.stop();
  });

  it('least-loaded weighs the chosen load kind', () => {
    const { set } = makeSet({}, 2);
    const [a, b] = set.list as [Endpoint, Endpoint];
    a.conns = 2;
    b.inFlight = 5;
    expect(set.pick('conns')).toBe(b);
    expect(set.pick('inFlight')).toBe(a);
    set.stop();
  });

  it("'priority': fails over, then fails back after failbackAfter on its own timer", async () => {
    const { set, host } = makeSet({ balance: 'priority', failbackAfter: 5_000 });
    const [a, b] = set.list as [Endpoint, Endpoint];
    expect(set.pick('conns')).toBe(a);
    set.failed(a, new Error('closed'), false);
    expect(set.pick('conns')).toBe(b);
    expect(host.events).toEqual(['target 1']);
    vi.advanceTimersByTime(1_000); // a's backoff probe
    host.probes.shift()!.resolve(1);
    await flush();
    expect(set.target()).toBe(b); // healthy again, but not for failbackAfter yet
    vi.advanceTimersByTime(4_999);
    expect(host.events).toEqual(['target 1']);
    vi.advanceTimersByTime(1);
    expect(host.events).toEqual(['target 1', 'target 0']);
    expect(set.pick('conns')).toBe(a);
    set.stop();
  });

  it('stop() clears every timer and ignores probes under way', async () => {
    const { set, host } = makeSet({ balance: 'priority' });
    const a = set.list[0]!;
    for (let i = 0; i < 3; i++) set.failed(a, new Error('x'), true);
    set.failed(set.list[1]!, new Error('x'), false);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    vi.advanceTimersByTime(1_000);
    set.stop();
    expect(vi.getTimerCount()).toBe(0);
    for (const p of host.probes) p.resolve(1);
    await flush();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stat() never shows credentials', () => {
    const resolved = resolveEndpoints({ endpoints: ['ws://u:pw1234@a.test/?token=abcdef'] });
    const set = new EndpointSet(resolved.endpoints!, new FakeHost());
    expect(JSON.stringify(set.stat())).not.toMatch(/pw1234|abcdef/);
    set.stop();
  });
});
