/**
 * Credentials never leave the library: userinfo and query values are replaced before a URL
 * reaches an error message, a `url` field, a log line or a diagnostics payload.
 */
const MASK = '***';

/** The URL as a string with username, password and every query value masked. */
export function redactUrl(url: URL | string): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : new URL(url.href);
  } catch {
    return '<invalid url>';
  }
  if (parsed.username) parsed.username = MASK;
  if (parsed.password) parsed.password = MASK;
  if (parsed.search) {
    const keys = [...parsed.searchParams.keys()];
    const masked = new URLSearchParams();
    for (const key of keys) masked.append(key, MASK);
    parsed.search = masked.toString().replaceAll('%2A', '*');
  }
  // A fragment is never sent, but it is where OAuth implicit flows put tokens (#access_token=…).
  if (parsed.hash) parsed.hash = MASK;
  return parsed.href;
}

/** Replace any occurrence of the secret parts of `url` inside `text` (for errors raised by other code). */
export function scrubText(text: string, url: URL): string {
  let out = text;
  const secrets = [url.username, url.password, decodeSafe(url.username), decodeSafe(url.password)];
  if (url.search.length > 1) secrets.push(url.search.slice(1));
  if (url.hash.length > 1) secrets.push(url.hash.slice(1), decodeSafe(url.hash.slice(1)));
  for (const value of url.searchParams.values()) secrets.push(value, encodeURIComponent(value));
  // Longest first, so a whole query string goes before the values inside it. Values of one or two
  // characters (`v=1`) are no credential, and masking them would garble every host, port and count.
  secrets.sort((a, b) => b.length - a.length);
  for (const secret of secrets) if (secret.length >= MIN_SECRET) out = out.split(secret).join(MASK);
  return out;
}

const MIN_SECRET = 3;

/**
 * `error` itself when no secret of `url` appears in its message or stack; otherwise a scrubbed copy
 * (same name, `code`, `errno`, `syscall`), for use as a `cause`: a logger prints the cause chain
 * too, and code outside wspool (a custom dialer, an agent, a hook) may quote the URL it was given.
 */
export function scrubError(error: Error, url: URL): Error {
  const message = scrubText(error.message, url);
  const stack = error.stack === undefined ? undefined : scrubText(error.stack, url);
  if (message === error.message && stack === error.stack) return error;
  const copy = new Error(message);
  Object.defineProperty(copy, 'name', { value: error.name, configurable: true, writable: true });
  const source = error as unknown as Record<string, unknown>;
  const target = copy as unknown as Record<string, unknown>;
  for (const key of ['code', 'errno', 'syscall']) if (key in source) target[key] = source[key];
  if (stack !== undefined) copy.stack = stack;
  return copy;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
