import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe.concurrent('wspool usage', () => {
  it.each([
    [['--help'], 'Usage: wspool <command>'],
    [['help'], 'Usage: wspool <command>'],
    [['help', 'probe'], 'Usage: wspool probe <url>'],
    [['bench', '--help'], 'Usage: wspool bench [url]'],
    [['probe', '-h'], 'Usage: wspool probe <url>'],
    [['echo-server', '--help'], 'Usage: wspool echo-server'],
  ])('%j prints its usage on stdout and exits 0', async (args, usage) => {
    const result = await runCli(args);
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith(usage)).toBe(true);
    expect(result.stderr).toBe('');
  });

  it.each([['--version'], ['-V'], ['version']])(
    '%j prints the package version and exits 0',
    async (...args) => {
      const { version } = JSON.parse(
        readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
      ) as {
        version: string;
      };
      const result = await runCli(args);
      expect(result).toMatchObject({ code: 0, stdout: `wspool ${version}\n`, stderr: '' });
    },
  );

  it.each([
    [[], 'wspool: missing command', 'Usage: wspool <command>'],
    [['--version', 'now'], 'wspool: --version takes no arguments', 'Usage: wspool <command>'],
    [['frobnicate'], 'wspool: unknown command "frobnicate"', 'Usage: wspool <command>'],
    [['bench', '--bogus'], "wspool bench: Unknown option '--bogus'", 'Usage: wspool bench'],
    [
      ['bench', '--mode', 'pooled'],
      'wspool bench: --mode must be one of exclusive, multiplex, jsonrpc',
      'Usage: wspool bench',
    ],
    [['bench', '--duration', 'soon'], 'wspool bench: --duration must be a duration', 'Usage: wspool bench'],
    [['bench', '--conns', '0'], 'wspool bench: --conns must be an integer from 1', 'Usage: wspool bench'],
    [
      ['bench', '--rate=-5'],
      'wspool bench: --rate must be a number of requests per second above 0 (e.g. 500 or 0.5), got "-5"',
      'Usage: wspool bench',
    ],
    [
      ['bench', '--rate', '0'],
      'wspool bench: --rate must be a number of requests per second above 0 (e.g. 500 or 0.5), got "0"; leave it out for a closed loop',
      'Usage: wspool bench',
    ],
    [
      ['bench', '--rate', '20000000'],
      'wspool bench: --rate 20000000 is above 10,000,000 requests per second, more than one process can schedule; lower it, or leave --rate out for a closed loop as fast as the server answers',
      'Usage: wspool bench',
    ],
    [
      ['bench', '--payload', 'no-such-file.bin'],
      'wspool bench: --payload: cannot read the file "no-such-file.bin" (ENOENT)',
      'Usage: wspool bench',
    ],
    [
      ['bench', 'http://127.0.0.1:1'],
      'wspool bench: the url scheme must be ws: or wss:, got http:',
      'Usage: wspool bench',
    ],
    [['probe'], 'wspool probe: missing url', 'Usage: wspool probe'],
    [['probe', 'ws://a', 'ws://b'], 'wspool probe: expected one url, got 2 arguments', 'Usage: wspool probe'],
    [
      ['probe', 'ws://127.0.0.1:1', '-H', 'no colon'],
      'wspool probe: --header must be "Name: value"',
      'Usage: wspool probe',
    ],
    [
      ['echo-server', '--port', '70000'],
      'wspool echo-server: --port must be an integer from 0 to 65535',
      'Usage: wspool echo-server',
    ],
  ])('%j is an argument error: message and usage on stderr, exit 2', async (args, message, usage) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr.startsWith(message)).toBe(true);
    expect(result.stderr).toContain(`\n\n${usage}`);
    expect(result.stdout).toBe('');
  });
});
