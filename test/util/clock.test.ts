import { afterEach, describe, expect, it, vi } from 'vitest';
import { now } from '../../src/clock.js';
import { createTurnClock } from '../../src/util/turn-clock.js';

/** A turn clock over a counter, with the end of the turn in the test's hands. */
function counterClock(reuses: number) {
  let value = 1_000;
  let reads = 0;
  const expiries: (() => void)[] = [];
  const clock = createTurnClock({
    read: () => {
      reads++;
      return ++value;
    },
    queueExpiry: (expire) => expiries.push(expire),
    reuses,
  });
  const endTurn = (): void => {
    for (const expire of expiries.splice(0)) expire();
  };
  return { clock, endTurn, reads: () => reads, queued: () => expiries.length };
}

describe('createTurnClock', () => {
  it('reads once per turn and reuses the value until the turn ends', () => {
    const c = counterClock(64);
    expect(c.clock()).toBe(1_001);
    expect(c.clock()).toBe(1_001);
    expect(c.clock()).toBe(1_001);
    expect(c.reads()).toBe(1);
    c.endTurn();
    expect(c.clock()).toBe(1_002);
    expect(c.clock()).toBe(1_002);
    expect(c.reads()).toBe(2);
  });

  it('reads again after `reuses` uses within one turn, so a long microtask run stays fresh', () => {
    const c = counterClock(3);
    const seen = Array.from({ length: 9 }, () => c.clock());
    // One read, three reuses; then the same again.
    expect(seen).toEqual([1_001, 1_001, 1_001, 1_001, 1_002, 1_002, 1_002, 1_002, 1_003]);
    expect(c.reads()).toBe(3);
  });

  it('queues one expiry per turn however often it reads', () => {
    const c = counterClock(1);
    for (let i = 0; i < 10; i++) c.clock();
    expect(c.reads()).toBe(5);
    expect(c.queued()).toBe(1);
    c.endTurn();
    c.clock();
    expect(c.queued()).toBe(1);
  });

  it('with reuses 0 reads on every call', () => {
    const c = counterClock(0);
    expect([c.clock(), c.clock(), c.clock()]).toEqual([1_001, 1_002, 1_003]);
  });
});

describe('now()', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('follows fake timers at once, even after a real read in the same turn', () => {
    const real = now();
    expect(real).toBeGreaterThan(1_600_000_000_000);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(5_000);
    expect(now()).toBe(5_000);
    vi.setSystemTime(9_000);
    expect(now()).toBe(9_000);
    vi.useRealTimers();
    expect(now()).toBeGreaterThan(1_600_000_000_000);
  });

  it('calls a stubbed Date.now on every call', () => {
    now(); // fill the turn's cache with the real clock
    const stub = vi.spyOn(Date, 'now').mockReturnValueOnce(11).mockReturnValueOnce(22);
    expect(now()).toBe(11);
    expect(now()).toBe(22);
    expect(stub).toHaveBeenCalledTimes(2);
  });

  it('leaves a referenced Immediate pending while a value is cached, so the loop cannot block on it', async () => {
    const immediates = (): number => process.getActiveResourcesInfo().filter((t) => t === 'Immediate').length;
    // A fresh turn: the expiry of any earlier read was queued before this immediate, so it has run.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const before = immediates();
    now();
    now();
    expect(immediates()).toBe(before + 1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(immediates()).toBe(before);
  });
});
