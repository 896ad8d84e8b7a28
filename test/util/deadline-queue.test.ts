import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { monotonic } from '../../src/clock.js';
import { DeadlineQueue, type Timed } from '../../src/util/deadline-queue.js';
import type { LinkedList, ListNode } from '../../src/util/linked-list.js';

class Entry implements Timed {
  prev: ListNode | null = null;
  next: ListNode | null = null;
  list: LinkedList<ListNode> | null = null;
  readonly deadline: number;
  constructor(
    readonly name: string,
    readonly timeout: number,
    start = monotonic(),
  ) {
    this.deadline = start + timeout;
  }
}

/** A queue that records when (fake monotonic ms since the test began) each entry expired. */
function recordingQueue(usualTimeout?: number) {
  const t0 = monotonic();
  const expired: [string, number][] = [];
  const queue = new DeadlineQueue<Entry>(
    (entry) => expired.push([entry.name, monotonic() - t0]),
    usualTimeout,
  );
  const watch = (name: string, timeout: number): Entry => {
    const entry = new Entry(name, timeout);
    queue.watch(entry, entry.deadline - timeout);
    return entry;
  };
  return { queue, expired, watch };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DeadlineQueue', () => {
  it('expires each entry at its own deadline, whatever the order of timeouts', () => {
    const { queue, expired, watch } = recordingQueue();
    watch('a', 300);
    watch('b', 100);
    watch('c', 200);
    watch('d', 100);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(99);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual([
      ['b', 100],
      ['d', 100],
    ]);
    vi.advanceTimersByTime(200);
    expect(expired.slice(2)).toEqual([
      ['c', 200],
      ['a', 300],
    ]);
    expect(queue.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('arms one timer for a steady timeout, however many entries come and go', () => {
    const { queue, expired, watch } = recordingQueue();
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 100; i++) {
      queue.unwatch(watch(`e${i}`, 1_000));
      vi.advanceTimersByTime(5); // 500 ms in all: the first deadline is still ahead
    }
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    // It fires at the first deadline, finds nothing due and stays unarmed.
    vi.advanceTimersByTime(500);
    expect(expired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    setTimeoutSpy.mockRestore();
  });

  it('an unwatched entry never expires; the timer then re-arms for the next one', () => {
    const { queue, expired, watch } = recordingQueue();
    const first = watch('first', 100);
    watch('second', 150);
    queue.unwatch(first);
    queue.unwatch(first); // a no-op the second time
    vi.advanceTimersByTime(100);
    expect(expired).toEqual([]);
    expect(vi.getTimerCount()).toBe(1); // re-armed for 'second'
    vi.advanceTimersByTime(50);
    expect(expired).toEqual([['second', 150]]);
  });

  it('a shorter timeout re-arms at once, and entries expired together may watch new ones', () => {
    const t0 = monotonic();
    const expired: [string, number][] = [];
    const queue: DeadlineQueue<Entry> = new DeadlineQueue<Entry>((entry) => {
      expired.push([entry.name, monotonic() - t0]);
      if (entry.name === 'long') {
        const again = new Entry('again', 10);
        queue.watch(again, monotonic());
      }
    });
    queue.watch(new Entry('long', 1_000), t0);
    queue.watch(new Entry('short', 10), t0);
    vi.advanceTimersByTime(10);
    expect(expired).toEqual([['short', 10]]);
    vi.advanceTimersByTime(990);
    expect(expired.slice(1)).toEqual([['long', 1_000]]);
    vi.advanceTimersByTime(10);
    expect(expired.slice(2)).toEqual([['again', 1_010]]);
  });

  it('handles timeouts longer than setTimeout allows by re-arming', () => {
    const { expired, watch } = recordingQueue();
    const long = 2 ** 31 + 5_000;
    watch('far', long);
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(expired).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(5_001);
    expect(expired).toEqual([['far', long]]);
  });

  it('stop() clears the timer for good: nothing expires afterwards', () => {
    const { queue, expired, watch } = recordingQueue(100);
    watch('a', 100);
    queue.stop();
    expect(vi.getTimerCount()).toBe(0);
    watch('b', 50);
    vi.advanceTimersByTime(1_000);
    expect(expired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts watched entries across lanes', () => {
    const { queue, watch } = recordingQueue(100);
    const a = watch('a', 100);
    watch('b', 7);
    watch('c', 8);
    expect(queue.size).toBe(3);
    queue.unwatch(a);
    expect(queue.size).toBe(2);
  });

  it('property: any mix of watch, unwatch and time passing expires exactly the entries still watched, each at its deadline', () => {
    type Step = { t: 'watch'; timeout: number } | { t: 'unwatch'; k: number } | { t: 'advance'; ms: number };
    const step = fc.oneof(
      fc.record({
        t: fc.constant('watch' as const),
        timeout: fc.oneof(fc.constantFrom(50, 100), fc.integer({ min: 1, max: 300 })),
      }),
      fc.record({ t: fc.constant('unwatch' as const), k: fc.nat() }),
      fc.record({ t: fc.constant('advance' as const), ms: fc.nat(120) }),
    );
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom(50, 100), { nil: undefined }),
        fc.array(step, { maxLength: 60 }),
        (usual, steps: Step[]) => {
          vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
          const { queue, expired, watch } = recordingQueue(usual);
          const t0 = monotonic();
          const live: { entry: Entry; at: number }[] = [];
          const expected: [string, number][] = [];
          let n = 0;
          const due = (until: number): void => {
            // Entries due by `until`, in deadline order (ties: the queue's lane order, so compare as sets).
            for (const item of live.filter((x) => x.at <= until)) {
              expected.push([item.entry.name, item.at]);
              live.splice(live.indexOf(item), 1);
            }
          };
          for (const s of steps) {
            if (s.t === 'watch') {
              const at = monotonic() - t0 + s.timeout;
              live.push({ entry: watch(`e${n++}`, s.timeout), at });
            } else if (s.t === 'unwatch') {
              const item = live[s.k % Math.max(live.length, 1)];
              if (item !== undefined) {
                queue.unwatch(item.entry);
                live.splice(live.indexOf(item), 1);
              }
            } else {
              due(monotonic() - t0 + s.ms);
              vi.advanceTimersByTime(s.ms);
            }
            expect(vi.getTimerCount()).toBeLessThanOrEqual(1);
            expect(queue.size).toBe(live.length);
            const byName = (a: [string, number], b: [string, number]): number =>
              a[1] - b[1] || a[0].localeCompare(b[0]);
            expect([...expired].sort(byName)).toEqual([...expected].sort(byName));
          }
          // Everything left expires by its deadline, and then no timer remains.
          due(Infinity);
          vi.advanceTimersByTime(301);
          expect(expired).toHaveLength(expected.length);
          expect(vi.getTimerCount()).toBe(0);
          vi.useRealTimers();
        },
      ),
      { numRuns: 200 },
    );
  });
});
