import { WsPoolError } from '../errors.js';
import { redactUrl } from '../util/redact.js';

/**
 * Parse and check a WebSocket URL. Only `ws:` and `wss:` are accepted: an `http:` URL is almost
 * always a mistake (a REST endpoint), and silently upgrading it would hide that.
 */
export function parseWsUrl(input: unknown): URL {
  if (!(typeof input === 'string' || input instanceof URL)) {
    throw new WsPoolError(
      'WSPOOL_ERR_INVALID_URL',
      `Invalid WebSocket URL: expected a string or URL, got ${input === null ? 'null' : typeof input}. Pass a ws:// or wss:// URL.`,
    );
  }
  let url: URL;
  try {
    url = new URL(typeof input === 'string' ? input : input.href);
  } catch (cause) {
    throw new WsPoolError(
      'WSPOOL_ERR_INVALID_URL',
      'Invalid WebSocket URL: it does not parse as a URL. Pass an absolute ws:// or wss:// URL, e.g. ws://127.0.0.1:8080/path.',
      { cause: scrubCause(cause) },
    );
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new WsPoolError(
      'WSPOOL_ERR_INVALID_URL',
      `Invalid WebSocket URL ${redactUrl(url)}: the scheme is "${url.protocol}", expected "ws:" or "wss:".`,
    );
  }
  if (url.hash) {
    throw new WsPoolError(
      'WSPOOL_ERR_INVALID_URL',
      `Invalid WebSocket URL ${redactUrl(url)}: a WebSocket URL cannot have a fragment (#...). Remove it.`,
    );
  }
  return url;
}

// Node's "Invalid URL" TypeError carries the input (with any credentials) in `.input`: drop it.
function scrubCause(cause: unknown): Error {
  const message = cause instanceof Error ? cause.message : 'invalid URL';
  return new TypeError(message.split(':')[0] ?? 'Invalid URL');
}
