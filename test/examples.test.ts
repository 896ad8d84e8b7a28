// Every example runs with tsx, as the README tells users to run it: exit code 0 and the lines that
// show it did its job. The examples start their own servers on 127.0.0.1, so nothing else is needed.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../', import.meta.url));
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

/** Each example and the output that proves it worked (in order). */
const EXAMPLES: Record<string, RegExp[]> = {
  'examples/demo.ts': [
    /sent "hello", received "hello"/,
    /10 concurrent requests answered: all matched/,
    /pool closed: total=0/,
  ],
  'examples/standalone.ts': [
    /text: hello/,
    /binary: 3 bytes/,
    /json: quote WSP/,
    /nothing to read: WSPOOL_ERR_READ_TIMEOUT/,
    /ping: pong/,
    /streamed 3 messages, then the server closed with 1000 done/,
  ],
  'examples/json-rpc.ts': [
    /getQuote WSP -> \{"symbol":"WSP","price":42\.5\}/,
    /100 concurrent calls on [12] connections: all matched/,
    /transfer -> WSPOOL_ERR_REMOTE \{"code":-32601,"message":"no method transfer"\}/,
    /batch: 3 results: 3, \{"symbol":"ABC","price":42\.5\}, error/,
    /notification: \{"jsonrpc":"2\.0","method":"tick","params":\{"price":43\}\}/,
    /stat: requests=104 inFlight=0/,
    /MultiplexPool<string, string>: A B C/,
  ],
  'examples/recipes/token-refresh.ts': [
    /connection 1: authenticated as token-1/,
    /token-1 expired/,
    /connection 2: authenticated as token-2/,
    /dials: 2, tokens issued: 2/,
  ],
  'examples/recipes/subscribe.ts': [
    /logged in and subscribed on 2 connections/,
    /received 3 trades on one borrowed connection: ok/,
    /wrong key: WSPOOL_ERR_CONNECT_FAILED \(cause: login rejected\)/,
  ],
  'examples/recipes/eth-new-heads.ts': [
    /at block \d+: restarting the node/,
    /resumed after \d+ ms \(\d+ attempts\): backfilling [1-9]\d* blocks/,
    /same handle 1, new server key: true, resubscribes: 1/,
    /blocks \d+\.\.\d+ seen in order, none missing: true/,
  ],
  'examples/recipes/graceful-shutdown.ts': [
    /SIGTERM: closing the pool/,
    /pool closed: 0 connections open, \d+ requests served/,
    /workers stopped after \d+, \d+, \d+ requests/,
  ],
  'examples/recipes/observability.ts': [
    /\[channel\] connection open ws:\/\/127\.0\.0\.1:\d+\/feed\?apiKey=\*\*\* in/,
    /\[channel\] destroy reason=released/,
    /\[leaks\] held \d+ ms, acquired at main \(.*observability\.ts:\d+:\d+\)/,
    /\[stat\] total=3 idle=3 acquires=10/,
    /\[otel\] wspool\.connections\.usage\{"state":"idle"\} 3/,
    /\[otel\] wspool\.acquires 10/,
    /\[otel\] wspool\.acquire\.wait_time count=10/,
    /\[otel\] wspool\.connections\.destroyed\{"reason":"released"\} 1/,
  ],
};

/** Example files on disk (helpers that are not runnable examples excluded). */
function examplesOnDisk(dir = 'examples'): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return examplesOnDisk(rel);
    return entry.name.endsWith('.ts') && entry.name !== 'local-server.ts' ? [rel] : [];
  });
}

describe('examples', () => {
  it('every example file is run by this test', () => {
    for (const file of examplesOnDisk()) expect(Object.keys(EXAMPLES)).toContain(file);
  });

  for (const [file, expected] of Object.entries(EXAMPLES)) {
    it(`${file} runs and exits 0`, { concurrent: true, timeout: 40_000 }, async () => {
      const { stdout } = await exec(tsx, [file], { cwd: root, timeout: 30_000 });
      let rest = stdout;
      for (const line of expected) {
        const match = line.exec(rest);
        expect(match, `${file}: expected ${String(line)} in:\n${stdout}`).not.toBeNull();
        rest = rest.slice(match!.index + match![0].length);
      }
    });
  }
});
