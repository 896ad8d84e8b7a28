// The pure routing policy, on numbers alone: which connection takes the next request, and how many
// connections to open for the queue.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dialsNeeded, leastLoaded, type Load } from '../../src/multiplex/least-loaded.js';

const ch = (inFlight: number, accepting = true): Load => ({ inFlight, accepting });

describe('leastLoaded', () => {
  it('picks the connection with the fewest requests in flight', () => {
    const channels = [ch(5), ch(2), ch(7)];
    expect(leastLoaded(channels, 10)).toBe(channels[1]);
  });

  it('breaks ties towards the earliest connection (light load stays on few sockets)', () => {
    const channels = [ch(3), ch(1), ch(1)];
    expect(leastLoaded(channels, 10)).toBe(channels[1]);
    const idle = [ch(0), ch(0)];
    expect(leastLoaded(idle, 10)).toBe(idle[0]);
  });

  it('skips connections that do not accept (draining or closing)', () => {
    const channels = [ch(0, false), ch(4), ch(3, false)];
    expect(leastLoaded(channels, 10)).toBe(channels[1]);
  });

  it('returns undefined when every accepting connection is at the limit, or there is none', () => {
    expect(leastLoaded([ch(2), ch(2)], 2)).toBeUndefined();
    expect(leastLoaded([ch(0, false)], 2)).toBeUndefined();
    expect(leastLoaded([], 2)).toBeUndefined();
    expect(leastLoaded([ch(2), ch(1)], 2)).toEqual(ch(1));
  });

  it('property: the choice is accepting, below the limit, and no other such connection has fewer', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ inFlight: fc.nat(20), accepting: fc.boolean() }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 20 }),
        (channels, limit) => {
          const choice = leastLoaded(channels, limit);
          const eligible = channels.filter((c) => c.accepting && c.inFlight < limit);
          if (eligible.length === 0) return choice === undefined;
          const min = Math.min(...eligible.map((c) => c.inFlight));
          return (
            choice !== undefined &&
            choice.accepting &&
            choice.inFlight === min &&
            channels.indexOf(choice) === channels.findIndex((c) => c.accepting && c.inFlight === min)
          );
        },
      ),
    );
  });
});

describe('dialsNeeded', () => {
  it('opens nothing for an empty queue', () => {
    expect(dialsNeeded(0, 10, 0, 0, 4)).toBe(0);
  });

  it('opens one connection per maxInFlightPerConn queued requests', () => {
    expect(dialsNeeded(1, 10, 0, 0, 4)).toBe(1);
    expect(dialsNeeded(10, 10, 0, 0, 4)).toBe(1);
    expect(dialsNeeded(11, 10, 0, 0, 4)).toBe(2);
  });

  it('counts dials already under way: any of them will serve the queue', () => {
    expect(dialsNeeded(11, 10, 1, 1, 4)).toBe(1);
    expect(dialsNeeded(5, 10, 1, 1, 4)).toBe(0);
  });

  it('never goes past maxConns (open + opening)', () => {
    expect(dialsNeeded(100, 10, 0, 3, 4)).toBe(1);
    expect(dialsNeeded(100, 10, 0, 4, 4)).toBe(0);
    expect(dialsNeeded(100, 1, 2, 4, 4)).toBe(0);
  });
});
