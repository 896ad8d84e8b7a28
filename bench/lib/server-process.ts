/**
 * Runs bench/server.ts in its own process: client and server each get a core, and the server's
 * work never shows up in the client's `process.cpuUsage()`.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';

import { forkTs, nextMessage, waitForExit } from './fork-ts.js';

export interface BenchServer {
  readonly port: number;
  /** The server process's id (to read its CPU time). */
  readonly pid: number;
  /** `ws://127.0.0.1:<port><path>`. */
  url(path: '/echo' | '/rpc'): string;
  /** Asks the server to exit and waits for it (kills it if it does not). */
  stop(): Promise<void>;
  /** SIGKILL: the server dies at once; the kernel closes its sockets (the failover scenario). */
  kill(): Promise<void>;
}

/** Start the bench server on `listenOn` (0: any free port; a restart passes the port it had). */
export async function startServer(listenOn = 0): Promise<BenchServer> {
  const child = forkTs(fileURLToPath(new URL('../server.ts', import.meta.url)), [String(listenOn)]);
  const port = await nextMessage(child, (message) => {
    const ready = message as { type?: unknown; port?: unknown };
    return ready.type === 'ready' && typeof ready.port === 'number' ? ready.port : undefined;
  });
  return {
    port,
    pid: child.pid ?? 0,
    url: (path) => `ws://127.0.0.1:${port}${path}`,
    async stop() {
      if (child.connected) child.send({ type: 'stop' });
      await waitForExit(child);
    },
    async kill() {
      child.kill('SIGKILL');
      await waitForExit(child);
    },
  };
}
