/**
 * Validation of `subscribe()`'s spec and options, with defaults applied. Bad values reject the
 * call with `WSPOOL_ERR_INVALID_CONFIG` naming the field.
 * @module
 */
import { invalidConfig } from '../errors.js';
import {
  checkBoolean,
  checkInteger,
  checkKnownKeys,
  checkOptionalFunction,
  invalidCallOptions,
} from '../util/validate.js';
import type { GapFill, GapInfo, SubscribeOptions, SubscriptionSpec } from './types.js';

/** Defaults of {@link SubscribeOptions}. */
export const SUBSCRIBE_DEFAULTS = {
  bufferSize: 1024,
  overflow: 'error',
  resubscribe: true,
} as const;

const OPTION_KEYS: ReadonlySet<string> = new Set([
  'signal',
  'timeout',
  'bufferSize',
  'overflow',
  'resubscribe',
  'onGap',
]);

export interface ResolvedSubscribeOptions<T> {
  signal: AbortSignal | undefined;
  timeout: number;
  bufferSize: number;
  overflow: 'error' | 'drop-oldest';
  resubscribe: boolean;
  onGap: ((gap: GapInfo) => GapFill<T> | Promise<GapFill<T>>) | undefined;
}

export function resolveSubscribeOptions<Req, Res, T>(
  spec: SubscriptionSpec<Req, Res>,
  options: SubscribeOptions<T> | undefined,
  requestTimeout: number,
): ResolvedSubscribeOptions<T> {
  if (typeof spec !== 'object' || spec === null)
    throw invalidConfig('spec', 'an object { request, key, unsubscribe? }', spec);
  const key = spec.key as unknown;
  if (typeof key !== 'function' && typeof key !== 'string' && typeof key !== 'number') {
    throw invalidConfig('key', 'a function of the confirming reply, a string or a number', key);
  }
  checkOptionalFunction('unsubscribe', (spec as { unsubscribe?: unknown }).unsubscribe);
  if (options === undefined) {
    return { signal: undefined, timeout: requestTimeout, ...SUBSCRIBE_DEFAULTS, onGap: undefined };
  }
  const invalid = invalidCallOptions(options, false);
  if (invalid !== undefined) throw invalid;
  checkKnownKeys('subscribe()', options, OPTION_KEYS);
  const overflow = options.overflow ?? SUBSCRIBE_DEFAULTS.overflow;
  if (overflow !== 'error' && overflow !== 'drop-oldest') {
    throw invalidConfig('overflow', "'error' or 'drop-oldest'", overflow);
  }
  return {
    signal: options.signal,
    timeout: options.timeout ?? requestTimeout,
    bufferSize:
      options.bufferSize === undefined
        ? SUBSCRIBE_DEFAULTS.bufferSize
        : checkInteger('bufferSize', options.bufferSize, 1),
    overflow,
    resubscribe:
      options.resubscribe === undefined
        ? SUBSCRIBE_DEFAULTS.resubscribe
        : checkBoolean('resubscribe', options.resubscribe),
    onGap: checkOptionalFunction('onGap', options.onGap),
  };
}
