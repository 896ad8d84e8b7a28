import { describe, expect, it } from 'vitest';
import { ERROR_CODES, WsPoolError, isWsPoolError } from '../src/errors.js';

describe('WsPoolError', () => {
  it('carries code, cause and details', () => {
    const cause = new Error('boom');
    const err = new WsPoolError('WSPOOL_ERR_CONNECT_FAILED', 'nope', { cause, status: 401 });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(WsPoolError);
    expect(err.code).toBe('WSPOOL_ERR_CONNECT_FAILED');
    expect(err.status).toBe(401);
    expect(err.cause).toBe(cause);
    expect(err.name).toBe('WsPoolError');
    expect(isWsPoolError(err, 'WSPOOL_ERR_CONNECT_FAILED')).toBe(true);
    expect(isWsPoolError(err, 'WSPOOL_ERR_REMOTE')).toBe(false);
  });

  it('instanceof holds for an error made by another copy of the class', () => {
    // A second copy of the package defines its own class but sets the same global brand.
    class OtherCopy extends Error {}
    Object.defineProperty(OtherCopy.prototype, Symbol.for('wspool.WsPoolError'), { value: true });
    expect(new OtherCopy('x')).toBeInstanceOf(WsPoolError);
    expect(new Error('x')).not.toBeInstanceOf(WsPoolError);
    expect(null).not.toBeInstanceOf(WsPoolError);
  });

  it('lists the sixteen codes of API.md', () => {
    expect(ERROR_CODES).toHaveLength(17);
    expect(new Set(ERROR_CODES).size).toBe(17);
  });
});
