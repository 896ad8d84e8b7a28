/**
 * The connection flags shared by `bench` and `probe` (`--timeout`, `-H`, `--protocol`, `--deflate`,
 * `--ca`, `-k`) as the library's own {@link ConnectOptions}: the CLI configures connections exactly
 * as a program would.
 */
import { readFile } from 'node:fs/promises';
import type { ConnectOptions } from '../index.js';
import { UsageError, type ConnectionFlags } from './args.js';

/** Reads the `--ca` file; an unreadable one is a usage error (exit 2) against `usage`. */
export async function connectOptions(flags: ConnectionFlags, usage: string): Promise<ConnectOptions> {
  const options: ConnectOptions = {
    connectTimeout: flags.timeoutMs,
    headers: flags.headers,
    perMessageDeflate: flags.deflate,
  };
  if (flags.protocols.length > 0) options.protocols = flags.protocols;
  if (flags.ca !== undefined || flags.insecure) {
    options.tls = flags.ca === undefined ? {} : { ca: await readCa(flags.ca, usage) };
    if (flags.insecure) options.tls.rejectUnauthorized = false;
  }
  return options;
}

async function readCa(path: string, usage: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`--ca: cannot read the file "${path}" (${code})`, usage);
  }
}
