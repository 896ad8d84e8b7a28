// The pending-request registry on its own, under fake timers: one timer for the whole pool however
// many requests are pending, deadlines honoured across timeout values, ids unique across a wrap.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  PendingRegistry,
  PendingRequest,
  RequestState,
  type PendingOwner,
} from '../../src/multiplex/pending.js';
import { useFakeClock } from './support.js';

const owner: PendingOwner = { aborted: () => undefined };

/** A registry whose expiries are recorded; `expired` lists request ids (or tags) in expiry order. */
function registry(defaultTimeout = 1_000, maxId?: number) {
  const expired: PendingRequest[] = [];
  const reg = new PendingRegistry(defaultTimeout, (r) => expired.push(r), maxId);
  return { reg, expired };
}

function request(timeout: number, tag = ''): PendingRequest {
  return new PendingRequest(owner, tag, false, performance.now(), timeout, undefined);
}

/** Send a watched request: it takes an id and goes into the map. */
function send(reg: PendingRegistry, r: PendingRequest): number {
  const id = reg.nextId();
  r.state = RequestState.InFlight;
  reg.add(r, id);
  return id;
}

beforeEach(() => useFakeClock());
afterEach(() => vi.useRealTimers());

describe('deadlines', () => {
  it('arms one timer for any number of requests with the same timeout', () => {
    const { reg } = registry();
    for (let i = 0; i < 1_000; i++) {
      vi.advanceTimersByTime(1);
      const r = request(1_000);
      reg.watch(r);
      send(reg, r);
    }
    expect(vi.getTimerCount()).toBe(1);
    expect(reg.size).toBe(1_000);
    expect(reg.watched).toBe(1_000);
    reg.stop();
  });

  it('expires exactly the requests whose deadline passed, oldest first, and re-arms for the rest', () => {
    const { reg, expired } = registry();
    const a = request(1_000, 'a');
    reg.watch(a);
    vi.advanceTimersByTime(400);
    const b = request(1_000, 'b');
    reg.watch(b);
    vi.advanceTimersByTime(599);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired.map((r) => r.req)).toEqual(['a']);
    expect(vi.getTimerCount()).toBe(1); // re-armed for b
    vi.advanceTimersByTime(400);
    expect(expired.map((r) => r.req)).toEqual(['a', 'b']);
    expect(vi.getTimerCount()).toBe(0);
    expect(reg.watched).toBe(0);
  });

  it('a shorter timeout re-arms earlier; lanes of different timeouts expire in deadline order', () => {
    const { reg, expired } = registry(1_000);
    reg.watch(request(1_000, 'long'));
    reg.watch(request(100, 'short'));
    vi.advanceTimersByTime(50);
    reg.watch(request(300, 'mid'));
    vi.advanceTimersByTime(50);
    expect(expired.map((r) => r.req)).toEqual(['short']);
    vi.advanceTimersByTime(250);
    expect(expired.map((r) => r.req)).toEqual(['short', 'mid']);
    vi.advanceTimersByTime(650);
    expect(expired.map((r) => r.req)).toEqual(['short', 'mid', 'long']);
  });

  it('a request that settles before its deadline never expires, and touches no timer', () => {
    const { reg, expired } = registry();
    const r = request(1_000);
    reg.watch(r);
    const id = send(reg, r);
    expect(vi.getTimerCount()).toBe(1);
    expect(reg.get(id)).toBe(r);
    reg.forget(r);
    expect(vi.getTimerCount()).toBe(1); // left armed: it finds nothing and does not re-arm
    expect(reg.get(id)).toBeUndefined();
    vi.advanceTimersByTime(1_000);
    expect(expired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('drops the lane of a custom timeout once it is empty (per-call budgets cannot pile lanes up)', () => {
    const { reg } = registry(1_000);
    const requests = Array.from({ length: 50 }, (_, i) => request(10 + i));
    for (const r of requests) reg.watch(r);
    expect(reg.watched).toBe(50);
    for (const r of requests) reg.forget(r);
    expect(reg.watched).toBe(0);
    vi.advanceTimersByTime(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an infinite timeout is not watched at all', () => {
    const { reg } = registry(Infinity);
    reg.watch(request(Infinity));
    expect(reg.watched).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop() clears the timer for good', () => {
    const { reg, expired } = registry();
    reg.watch(request(1_000));
    reg.stop();
    expect(vi.getTimerCount()).toBe(0);
    reg.watch(request(10));
    vi.advanceTimersByTime(2_000);
    expect(expired).toEqual([]);
  });
});

describe('correlation ids', () => {
  it('are unique among the requests in flight, also after wrapping round', () => {
    const { reg } = registry(1_000, 5);
    const live = [1, 2, 3, 4, 5].map(() => {
      const r = request(Infinity);
      return { r, id: send(reg, r) };
    });
    expect(live.map((l) => l.id)).toEqual([1, 2, 3, 4, 5]);
    // 2 and 4 settle; the ids that come round next must skip 1, 3 and 5, still in flight.
    reg.forget(live[1]!.r);
    reg.forget(live[3]!.r);
    const a = send(reg, request(Infinity));
    const b = send(reg, request(Infinity));
    expect([a, b]).toEqual([2, 4]);
    expect(reg.size).toBe(5);
  });
});
