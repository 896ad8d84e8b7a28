// One fault rig per scenario: a backend (restartable echo server, or a scripted one), the fault
// proxy in front of it, and the handle snapshot taken before any pool exists, so `finish()` can
// prove that the pool's close() left no socket or library timer behind.
import {
  snapshotHandles,
  startRestartableEchoServer,
  startScriptedServer,
  startTcpProxy,
  trackTimers,
  type ConnectionHandler,
  type HandleSnapshot,
  type RestartableWsServer,
  type TcpProxy,
  type TestWsServer,
  type TimerTracker,
  type WsServerOptions,
} from '../helpers/index.js';
import { measureLeaks, secretUrl, sleep, type Tally } from './support.js';

export interface Rig {
  /** The restartable echo server, unless a scripted handler was given. */
  readonly server: RestartableWsServer | TestWsServer;
  /** The same, typed for stop()/start() (throws for a scripted backend). */
  readonly echo: RestartableWsServer;
  readonly proxy: TcpProxy;
  /** The credential-carrying URL through the proxy. */
  readonly url: string;
  /**
   * After the pool is closed: heal the network, then require every socket (client, proxy, server
   * side) opened since the rig started to be gone and no library timer pending. Records the
   * measured leak count in `tally` and tears the rig down.
   */
  finish(closePool: () => Promise<void>, tally: Tally): Promise<void>;
}

interface RigOptions {
  /** A scripted backend instead of the restartable echo server. */
  handler?: ConnectionHandler;
  server?: WsServerOptions;
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const server = options.handler
    ? await startScriptedServer(options.handler, options.server)
    : await startRestartableEchoServer(options.server);
  const proxy = await startTcpProxy(server.port);
  const before: HandleSnapshot = snapshotHandles();
  const timers: TimerTracker = trackTimers();
  let finished = false;
  return {
    server,
    proxy,
    url: secretUrl(proxy),
    get echo(): RestartableWsServer {
      if (!('start' in server))
        throw new Error('the rig has a scripted backend, not the restartable echo server');
      return server as RestartableWsServer;
    },
    async finish(closePool, tally) {
      if (finished) return;
      finished = true;
      try {
        await closePool();
        proxy.pass();
        proxy.latency(0);
        proxy.idleTimeout(0);
        proxy.refuse(false);
        proxy.stall(false);
        tally.figures.leakedHandles = await measureLeaks(before, timers);
      } finally {
        timers.stop();
        await proxy.close();
        await server.close();
        await sleep(0);
      }
    },
  };
}
