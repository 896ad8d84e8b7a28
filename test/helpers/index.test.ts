import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { collectErrors, deferred } from './index.js';

describe('deferred', () => {
  it('resolves from outside and reports being settled', async () => {
    const d = deferred<number>();
    expect(d.settled).toBe(false);
    d.resolve(7);
    expect(d.settled).toBe(true);
    await expect(d.promise).resolves.toBe(7);
  });

  it('rejects from outside', async () => {
    const d = deferred();
    const boom = new Error('boom');
    d.reject(boom);
    await expect(d.promise).rejects.toBe(boom);
  });
});

describe('collectErrors', () => {
  it("collects 'error' events in order (so they are not thrown) until disposed", () => {
    const a = new EventEmitter();
    const b = new EventEmitter();
    const errors = collectErrors(a);
    expect(errors.watch(b)).toBe(b);
    const e1 = new Error('1');
    const e2 = new Error('2');
    a.emit('error', e1);
    b.emit('error', e2);
    expect(errors.errors).toEqual([e1, e2]);

    errors.dispose();
    expect(a.listenerCount('error')).toBe(0);
    expect(() => b.emit('error', new Error('3'))).toThrow('3');
    expect(errors.errors).toHaveLength(2);
  });
});
