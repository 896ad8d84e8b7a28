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
  return parsed.href;
}

/** Replace any occurrence of the secret parts of `url` inside `text` (for errors raised by other code). */
export function scrubText(text: string, url: URL): string {
  let out = text;
  const secrets = [url.username, url.password, decodeSafe(url.username), decodeSafe(url.password)];
  for (const value of url.searchParams.values()) secrets.push(value, encodeURIComponent(value));
  if (url.search.length > 1) secrets.push(url.search.slice(1));
  for (const secret of secrets) if (secret && secret.length > 0) out = out.split(secret).join(MASK);
  return out;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
