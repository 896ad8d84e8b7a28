// Unit tests of the subscription modules on plain objects and fake timers: the send-rate bucket,
// placement, a subscriber's buffer, and the resubscribe loop.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WsPoolError } from '../../src/index.js';
import { EMPTY, GapMarker, Pushed, SubscriberBuffer } from '../../src/subscriptions/buffer.js';
import { fewestSubscriptions, whenFull, type Carrier } from '../../src/subscriptions/placement.js';
import { Resubscriber, type ResubscribeTarget } from '../../src/subscriptions/resubscribe.js';
import { SendRate } from '../../src/subscriptions/send-rate.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('SendRate', () => {
  it('starts full with a burst of `rate` frames; no 1 s window ever holds more; waiting frames go in order', () => {
    vi.useFakeTimers();
    const rate = new SendRate(5);
    const sentAt: number[] = [];
    const send = (label: number) => (go: boolean) => {
      expect(go).toBe(true);
      sentAt.push(performance.now());
      order.push(label);
    };
    const order: number[] = [];
    for (let i = 0; i < 5; i++) {
      expect(rate.tryTake()).toBe(true);
      sentAt.push(performance.now());
      order.push(i);
    }
    expect(rate.tryTake()).toBe(false);
    for (let i = 5; i < 12; i++) rate.wait(send(i));
    expect(rate.tryTake()).toBe(false); // frames wait ahead of it: order is kept
    expect(rate.waiting).toBe(7);
    vi.advanceTimersByTime(999);
    expect(order).toHaveLength(5);
    vi.advanceTimersByTime(1);
    expect(order).toHaveLength(10);
    vi.advanceTimersByTime(1_000);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (let i = 0; i < sentAt.length; i++) {
      const inWindow = sentAt.filter((t) => t >= (sentAt[i] as number) && t < (sentAt[i] as number) + 1_000);
      expect(inWindow.length).toBeLessThanOrEqual(5);
    }
    rate.stop();
  });

  it('a waiting frame with nothing left to send (its request expired) costs no token', () => {
    vi.useFakeTimers();
    const rate = new SendRate(1);
    rate.tryTake();
    const sent: string[] = [];
    rate.wait(() => false); // expired while waiting
    rate.wait(() => void sent.push('live'));
    vi.advanceTimersByTime(1_000);
    expect(sent).toEqual(['live']);
    rate.stop();
  });

  it('a fractional rate sends one frame per 1/rate seconds', () => {
    vi.useFakeTimers();
    const rate = new SendRate(0.5);
    expect(rate.tryTake()).toBe(true);
    let sent = false;
    rate.wait(() => {
      sent = true;
    });
    vi.advanceTimersByTime(1_999);
    expect(sent).toBe(false);
    vi.advanceTimersByTime(1);
    expect(sent).toBe(true);
    rate.stop();
  });

  it('stop() tells every waiting frame it will not be sent, and clears its timer', () => {
    vi.useFakeTimers();
    const rate = new SendRate(1);
    rate.tryTake();
    const told: boolean[] = [];
    rate.wait((go) => void told.push(go));
    rate.wait((go) => void told.push(go));
    rate.stop();
    expect(told).toEqual([false, false]);
    expect(vi.getTimerCount()).toBe(0);
    rate.wait((go) => void told.push(go));
    expect(told).toEqual([false, false, false]);
  });
});

describe('placement', () => {
  const carrier = (subscriptions: number, accepting = true): Carrier => ({
    accepting,
    subscriptions,
    routes: new Map(),
  });

  it('picks the accepting carrier with the fewest subscriptions below the limit; ties go to the oldest', () => {
    const [a, b, c] = [carrier(3), carrier(1), carrier(1)];
    expect(fewestSubscriptions([a, b, c], 5)).toBe(b);
    expect(fewestSubscriptions([carrier(0, false), a], 5)).toBe(a);
    expect(fewestSubscriptions([carrier(5), carrier(5)], 5)).toBeUndefined();
  });

  it('when all are full: dial below maxConns, wait for a dial under way, else exhausted', () => {
    expect(whenFull(1, 0, 2)).toBe('dial');
    expect(whenFull(2, 1, 2)).toBe('wait');
    expect(whenFull(2, 0, 2)).toBe('exhausted');
  });
});

describe('SubscriberBuffer', () => {
  it("'error': past bufferSize the buffer ends with an overflow after what it holds", () => {
    const buffer = new SubscriberBuffer(2, false);
    expect(buffer.push(1)).toBe(Pushed.Kept);
    expect(buffer.push(2)).toBe(Pushed.Kept);
    expect(buffer.push(3)).toBe(Pushed.Overflowed);
    expect(buffer.push(4)).toBe(Pushed.Ignored);
    expect([buffer.take(), buffer.take(), buffer.take()]).toEqual([1, 2, EMPTY]);
    expect(buffer.ended).toBe(true);
    expect(buffer.error?.code).toBe('WSPOOL_ERR_SUBSCRIPTION_OVERFLOW');
  });

  it("'drop-oldest' keeps the newest values; gap markers stay in place and do not count", () => {
    const buffer = new SubscriberBuffer(2, true);
    buffer.push(1);
    buffer.pushGap({ lostAt: 1, resumedAt: 2, attempts: 1 });
    buffer.push(2);
    expect(buffer.push(3)).toBe(Pushed.DroppedOldest); // drops 1
    expect(buffer.push(4)).toBe(Pushed.DroppedOldest); // drops 2, the marker stays ahead
    const items = [buffer.take(), buffer.take(), buffer.take(), buffer.take()];
    expect(items[0]).toBeInstanceOf(GapMarker);
    expect(items.slice(1)).toEqual([3, 4, EMPTY]);
  });

  it('stop() discards and ends at once; readable() wakes every waiting reader', async () => {
    const buffer = new SubscriberBuffer(4, false);
    const woken = Promise.all([buffer.readable(), buffer.readable()]);
    buffer.push(1);
    await woken;
    buffer.stop();
    expect(buffer.take()).toBe(EMPTY);
    expect(buffer.ended).toBe(true);
    expect(buffer.error).toBeUndefined();
  });
});

describe('Resubscriber', () => {
  function target(
    outcomes: (Error | null)[],
  ): ResubscribeTarget & { attempts: number[]; failures: unknown[]; refusals: unknown[] } {
    const t = {
      attempts: [] as number[],
      failures: [] as unknown[],
      refusals: [] as unknown[],
      wanted: () => true,
      attempt: (n: number) => {
        t.attempts.push(n);
        const outcome = outcomes.shift();
        return outcome === null || outcome === undefined ? Promise.resolve() : Promise.reject(outcome);
      },
      refused: (error: unknown) => void t.refusals.push(error),
      failed: (error: unknown) => void t.failures.push(error),
    };
    return t;
  }
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  it('backs off between failed attempts, one loop per target however often it is started', async () => {
    vi.useFakeTimers();
    const delays: number[] = [];
    const loop = new Resubscriber((failures) => {
      delays.push(failures);
      return 100 * failures;
    });
    const closed = new WsPoolError('WSPOOL_ERR_CONNECTION_CLOSED', 'x');
    const t = target([closed, closed, null]);
    loop.start(t);
    loop.start(t); // the close and the error of one loss both report it
    await flush();
    expect(t.attempts).toEqual([1]);
    await vi.advanceTimersByTimeAsync(100);
    expect(t.attempts).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(199);
    expect(t.attempts).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.attempts).toEqual([1, 2, 3]);
    expect(t.failures).toEqual([closed, closed]);
    expect(delays).toEqual([1, 2]);
    await flush();
    expect(loop.size).toBe(0);
  });

  it('a WSPOOL_ERR_REMOTE ends the loop as a refusal; stop() ends a sleeping loop and its timer', async () => {
    vi.useFakeTimers();
    const loop = new Resubscriber(() => 1_000);
    const remote = new WsPoolError('WSPOOL_ERR_REMOTE', 'no');
    const refused = target([remote]);
    loop.start(refused);
    await flush();
    expect(refused.refusals).toEqual([remote]);
    const sleeping = target([new WsPoolError('WSPOOL_ERR_CONNECT_FAILED', 'down')]);
    loop.start(sleeping);
    await flush();
    expect(vi.getTimerCount()).toBe(1);
    loop.stop();
    await flush();
    expect(vi.getTimerCount()).toBe(0);
    expect(sleeping.attempts).toEqual([1]);
    expect(loop.size).toBe(0);
  });
});
