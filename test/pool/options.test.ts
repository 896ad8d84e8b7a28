import { describe, expect, it } from 'vitest';
import { isWsPoolError } from '../../src/errors.js';
import { ResourcePool, type ResourcePoolOptions } from '../../src/pool/index.js';

const base: ResourcePoolOptions<number> = {
  maxSize: 1,
  create: () => Promise.resolve(1),
  destroy: () => {},
};

function configError(options: unknown): unknown {
  try {
    new ResourcePool(options as ResourcePoolOptions<number>);
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('ResourcePool options', () => {
  it.each([
    ['maxSize', 0],
    ['maxSize', -1],
    ['maxSize', 1.5],
    ['maxSize', Infinity],
    ['maxSize', Number.NaN],
    ['maxSize', '2'],
    ['maxSize', undefined],
    ['maxWaiting', -1],
    ['maxWaiting', 0.5],
    ['maxWaiting', Number.NaN],
    ['maxWaiting', '3'],
    ['create', undefined],
    ['create', 'dial'],
    ['destroy', null],
  ])('rejects %s = %s with WSPOOL_ERR_INVALID_CONFIG naming the field', (field, value) => {
    const err = configError({ ...base, [field]: value });
    expect(isWsPoolError(err, 'WSPOOL_ERR_INVALID_CONFIG')).toBe(true);
    expect((err as Error).message).toContain(`\`${field}\``);
  });

  it('rejects a missing options object', () => {
    expect(isWsPoolError(configError(undefined), 'WSPOOL_ERR_INVALID_CONFIG')).toBe(true);
  });

  it.each([
    ['maxWaiting', 0],
    ['maxWaiting', 10],
    ['maxWaiting', Infinity],
    ['maxWaiting', undefined],
    ['maxSize', 1000],
  ])('accepts %s = %s', (field, value) => {
    expect(configError({ ...base, [field]: value })).toBeUndefined();
  });
});
