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
    [['--version', 'now'], 'wspool: --version takes no arguments'],
    [['frobnicate'], 'wspool: unknown command "frobnicate"'],
    [['bench', '--bogus'], "wspool bench: Unknown option '--bogus'"],
    [['bench', '--mode', 'pooled'], 'wspool bench: --mode must be one of exclusive, multiplex, jsonrpc'],
    [['bench', '--duration', 'soon'], 'wspool bench: --duration must be a duration'],
    [['bench', '--conns', '0'], 'wspool bench: --conns must be an integer from 1'],
    [
      ['bench', '--rate=-5'],
      'wspool bench: --rate must be a number of requests per second above 0 (e.g. 500 or 0.5), got "-5"',
    ],
    [
      ['bench', '--rate', '0'],
      'wspool bench: --rate must be a number of requests per second above 0 (e.g. 500 or 0.5), got "0"; leave it out for a closed loop',
    ],
    [
      ['bench', '--rate', '20000000'],
      'wspool bench: --rate 20000000 is above 10,000,000 requests per second, more than one process can schedule; lower it, or leave --rate out for a closed loop as fast as the server answers',
    ],
    [
      ['bench', '--payload', 'no-such-file.bin'],
      'wspool bench: --payload: cannot read the file "no-such-file.bin" (ENOENT)',
    ],
    [
      ['bench', 'http://127.0.0.1:1'],
      'wspool bench: the url scheme must be ws: or wss:, got http:, use ws://',
    ],
    [['probe'], 'wspool probe: missing url'],
    [['probe', 'ws://a', 'ws://b'], 'wspool probe: expected one url, got 2 arguments'],
    [['probe', 'ws://127.0.0.1:1', '-H', 'no colon'], 'wspool probe: --header must be "Name: value"'],
    [['echo-server', '--port', '70000'], 'wspool echo-server: --port must be an integer from 0 to 65535'],
    [
      ['probe', 'localhost:8080'],
      'wspool probe: the url needs a scheme: ws://localhost:8080, or wss:// for TLS',
    ],
    [
      ['probe', '127.0.0.1:9000/ws?token=s3cret'],
      'wspool probe: the url needs a scheme: ws://127.0.0.1:9000/…, or wss:// for TLS',
    ],
    [
      ['bench', 'https://example.com/ws'],
      'wspool bench: the url scheme must be ws: or wss:, got https:, use wss://',
    ],
  ])('%j is an argument error: one line on stderr that points at --help, exit 2', async (args, message) => {
    const result = await runCli(args);
    const command =
      args[0] === 'bench' || args[0] === 'probe' || args[0] === 'echo-server' ? ` ${args[0]}` : '';
    expect(result.code).toBe(2);
    expect(result.stderr.startsWith(message)).toBe(true);
    expect(result.stderr.endsWith(`; see wspool${command} --help\n`)).toBe(true);
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.stderr).not.toContain('s3cret');
    expect(result.stdout).toBe('');
  });

  it('with no command at all: the message, then the list of commands, exit 2', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^wspool: missing command\n\nUsage: wspool <command>/);
    expect(result.stdout).toBe('');
  });
});
