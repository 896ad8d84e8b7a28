import { describe, expect, it } from 'vitest';
import { leastLoaded, nextInPriority, priorityTarget, type Candidate } from '../../src/endpoints/choose.js';
import { decayedCount, dialBackoff, ejectionDuration, EndpointHealth } from '../../src/endpoints/health.js';
import { PeakEwma } from '../../src/endpoints/latency.js';

function c(over: Partial<Candidate> = {}): Candidate {
  return { weight: 1, load: 0, latencyMs: 10, usable: true, healthy: true, healthySince: 0, ...over };
}

describe('leastLoaded', () => {
  it('picks the lowest (load + 1) × latency ÷ weight', () => {
    // costs: 3×10=30, 1×50=50, 2×10=20
    expect(leastLoaded([c({ load: 2 }), c({ latencyMs: 50 }), c({ load: 1 })])).toBe(2);
  });

  it('divides by weight: weight 3 takes three connections for every one of weight 1', () => {
    const a = c({ weight: 3 });
    const b = c({ weight: 1 });
    const loads = [0, 0];
    for (let i = 0; i < 40; i++) {
      const pick = leastLoaded([
        { ...a, load: loads[0]! },
        { ...b, load: loads[1]! },
      ]);
      loads[pick]!++;
    }
    expect(loads).toEqual([30, 10]);
  });

  it('an unmeasured endpoint counts as fast as the fastest measured one (never starved)', () => {
    expect(leastLoaded([c({ latencyMs: 5, load: 1 }), c({ latencyMs: undefined })])).toBe(1);
    expect(leastLoaded([c({ latencyMs: 5 }), c({ latencyMs: undefined, load: 1 })])).toBe(0);
  });

  it('ties go to the earlier endpoint', () => {
    expect(leastLoaded([c(), c(), c()])).toBe(0);
  });

  it('skips unusable endpoints, but uses all when none is usable', () => {
    expect(leastLoaded([c({ usable: false }), c({ load: 9 })])).toBe(1);
    expect(leastLoaded([c({ usable: false, load: 3 }), c({ usable: false })])).toBe(1);
  });

  it('skips tried endpoints; -1 when all were tried', () => {
    expect(leastLoaded([c(), c({ load: 5 })], new Set([0]))).toBe(1);
    expect(leastLoaded([c(), c()], new Set([0, 1]))).toBe(-1);
  });

  it('a slow endpoint gets work only once the fast one is loaded 10× as much', () => {
    const fast = c({ latencyMs: 1 });
    const slow = c({ latencyMs: 10 });
    expect(leastLoaded([{ ...fast, load: 8 }, slow])).toBe(0);
    expect(leastLoaded([{ ...fast, load: 10 }, slow])).toBe(1);
  });
});

describe('priorityTarget', () => {
  it('starts on the first healthy endpoint in list order', () => {
    expect(priorityTarget([c(), c()], -1, 0, 30_000)).toBe(0);
    expect(priorityTarget([c({ healthy: false }), c()], -1, 0, 30_000)).toBe(1);
  });

  it('fails over when the current one is not healthy', () => {
    expect(priorityTarget([c({ healthy: false, healthySince: Infinity }), c(), c()], 0, 0, 30_000)).toBe(1);
  });

  it('fails back only after the earlier one has been healthy for failbackAfter', () => {
    const list = [c({ healthySince: 10_000 }), c()];
    expect(priorityTarget(list, 1, 39_999, 30_000)).toBe(1);
    expect(priorityTarget(list, 1, 40_000, 30_000)).toBe(0);
  });

  it('with nothing healthy: the first usable, else the first', () => {
    expect(priorityTarget([c({ healthy: false, usable: false }), c({ healthy: false })], -1, 0, 1)).toBe(1);
    expect(
      priorityTarget([c({ healthy: false, usable: false }), c({ healthy: false, usable: false })], -1, 0, 1),
    ).toBe(0);
  });

  it('retries go down the list after the target', () => {
    const list = [c(), c({ healthy: false }), c()];
    expect(nextInPriority(list, 0, new Set())).toBe(0);
    expect(nextInPriority(list, 0, new Set([0]))).toBe(2);
    expect(nextInPriority(list, 0, new Set([0, 2]))).toBe(1);
    expect(nextInPriority(list, 0, new Set([0, 1, 2]))).toBe(-1);
  });
});

describe('PeakEwma', () => {
  it('is undefined until measured, then jumps to a higher sample at once', () => {
    const ewma = new PeakEwma(10_000);
    expect(ewma.value).toBeUndefined();
    ewma.observe(10, 0);
    ewma.observe(100, 1);
    expect(ewma.value).toBe(100);
  });

  it('decays toward lower samples with time constant τ', () => {
    const ewma = new PeakEwma(10_000);
    ewma.observe(100, 0);
    ewma.observe(0, 10_000); // weight of the old value: e^-1
    expect(ewma.value).toBeCloseTo(100 / Math.E, 6);
    ewma.observe(0, 10_000); // no time passed: the old value keeps all its weight
    expect(ewma.value).toBeCloseTo(100 / Math.E, 6);
  });

  it('decays toward a floor when read later: a stale slow sample does not keep an endpoint out for ever', () => {
    const ewma = new PeakEwma(10_000);
    expect(ewma.valueAt(0, 1)).toBeUndefined();
    ewma.observe(101, 0);
    expect(ewma.valueAt(0, 1)).toBe(101);
    expect(ewma.valueAt(20_000, 1)).toBeCloseTo(1 + 100 / Math.E ** 2, 6);
    expect(ewma.valueAt(20_000, 200)).toBe(101); // never raised to the floor
    expect(ewma.value).toBe(101);
  });

  it('ignores negative and non-finite samples', () => {
    const ewma = new PeakEwma();
    ewma.observe(-1, 0);
    ewma.observe(Number.NaN, 0);
    ewma.observe(Infinity, 0);
    expect(ewma.value).toBeUndefined();
  });
});

describe('EndpointHealth', () => {
  it("'connecting' until the first result; 'ready' after a success; 'failing' after a failure", () => {
    const h = new EndpointHealth(0, 30_000);
    expect(h.state).toBe('connecting');
    expect(h.healthy).toBe(true);
    expect(h.failed(1, 5)).toBe(false);
    expect(h.state).toBe('failing');
    expect(h.healthy).toBe(false);
    h.succeeded(2);
    expect(h.state).toBe('ready');
    expect(h.healthySince).toBe(2);
    expect(h.consecutiveFailures).toBe(0);
    expect(h.failures).toBe(1);
  });

  it('asks for ejection at the threshold of consecutive failures only', () => {
    const h = new EndpointHealth(0, 30_000);
    for (let i = 0; i < 4; i++) expect(h.failed(i, 5)).toBe(false);
    h.succeeded(5); // resets the streak
    for (let i = 0; i < 4; i++) expect(h.failed(i, 5)).toBe(false);
    expect(h.failed(10, 5)).toBe(true);
  });

  it('while ejected, successes change nothing and failures only count', () => {
    const h = new EndpointHealth(0, 30_000);
    expect(h.eject(0)).toBe(1);
    h.succeeded(1);
    expect(h.state).toBe('ejected');
    expect(h.failed(2, 1)).toBe(false);
    h.readmit(3);
    expect(h.state).toBe('ready');
    expect(h.ejectedUntil).toBeUndefined();
  });

  it('the ejection count drops by one per ejectionTime healthy, banked at the next trouble', () => {
    const h = new EndpointHealth(0, 1_000);
    h.eject(0);
    h.readmit(0);
    h.eject(10);
    h.readmit(10);
    h.eject(20);
    h.readmit(20);
    expect(h.ejectionsAt(20)).toBe(3);
    expect(h.ejectionsAt(1_020)).toBe(2);
    expect(h.ejectionsAt(2_519)).toBe(1);
    h.failed(2_519, 5); // stops the healthy clock; the decay earned is kept
    expect(h.ejectionsAt(10_000)).toBe(1);
    expect(h.eject(10_000)).toBe(2);
  });

  it('decayedCount', () => {
    expect(decayedCount(3, 0, 2_999, 1_000)).toBe(1);
    expect(decayedCount(3, 0, 9_999, 1_000)).toBe(0);
    expect(decayedCount(3, Infinity, 9_999, 1_000)).toBe(3);
  });
});

describe('ejectionDuration and dialBackoff', () => {
  it('the n-th ejection lasts n × base (±10 %), capped', () => {
    expect(ejectionDuration(1, 30_000, 300_000, 0.5)).toBe(30_000);
    expect(ejectionDuration(3, 30_000, 300_000, 0.5)).toBe(90_000);
    expect(ejectionDuration(3, 30_000, 300_000, 0)).toBe(81_000);
    expect(ejectionDuration(3, 30_000, 300_000, 0.999)).toBeCloseTo(98_982, 0);
    expect(ejectionDuration(20, 30_000, 300_000, 0.5)).toBe(300_000);
  });

  it('dial backoff: 1 s × 1.6^(n−1), ±20 %, capped', () => {
    expect(dialBackoff(1, 0.5, 30_000)).toBe(1_000);
    expect(dialBackoff(2, 0.5, 30_000)).toBeCloseTo(1_600, 6);
    expect(dialBackoff(1, 0, 30_000)).toBe(800);
    expect(dialBackoff(1, 0.999, 30_000)).toBeCloseTo(1_199.6, 6);
    expect(dialBackoff(30, 0.5, 30_000)).toBe(30_000);
  });
});
