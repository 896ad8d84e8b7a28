// Faults through the TCP proxy: a black-holed connection (no FIN, no RST, nothing forwarded) is
// found by the keepalive, and its subscription moves to a new connection once the path is back.
import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS, type ConnectionCloseMessage, type GapInfo } from '../../src/index.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { useSuiteServer } from '../helpers/suite.js';
import { startSubServer } from './sub-server.js';
import { PoolJar, rpcPool, take, until } from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(startSubServer, jar);
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

describe('a black-holed connection', () => {
  it('is detected by the keepalive, and its subscription moves (onGap marks what was lost)', async () => {
    proxy = await startTcpProxy(server.port);
    const closes: ConnectionCloseMessage[] = [];
    const onClose = (m: unknown): void => void closes.push(m as ConnectionCloseMessage);
    diagnosticsChannel.subscribe(CHANNELS.connectionClose, onClose);
    try {
      const errors: string[] = [];
      const pool = rpcPool(jar, proxy.url(), {
        keepAliveInterval: 100,
        pingTimeout: 100,
        connectTimeout: 300,
        onError: (_error, info) => errors.push(info.phase),
      });
      const gaps: GapInfo[] = [];
      const sub = await pool.subscribe<number>('eth_subscribe', ['bh'], {
        onGap: (gap) => {
          gaps.push(gap);
          return [-1]; // a backfill marker, in place of what was lost
        },
      });
      server.publish('bh', 1);
      expect(await take(sub, 1)).toEqual([1]);

      proxy.blackhole();
      server.publish('bh', 2); // held by the partition: lost with the connection
      await until(() => closes.some((c) => c.code === 1006), 'the keepalive cutting the silent connection');
      // Re-subscribing cannot succeed while the path is down; the attempts fail in the background.
      await until(() => errors.includes('resubscribe'), 'a failed re-subscribe attempt');
      proxy.pass();
      await until(() => sub.resubscribes === 1, 'the subscription moved');
      server.publish('bh', 3);
      expect(await take(sub, 2)).toEqual([-1, 3]);
      expect(gaps).toHaveLength(1);
      expect(gaps[0]?.attempts).toBeGreaterThanOrEqual(2);
      // The keepalive's finding is a failed health check; the attempts meanwhile, failed re-subscribes.
      expect(new Set(errors)).toEqual(new Set(['health-check', 'resubscribe']));
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.connectionClose, onClose);
    }
  });
});
