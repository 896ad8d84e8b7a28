// Subscriptions over several endpoints: when the endpoint carrying a subscription goes down, the
// subscription moves to another endpoint (a loss: onGap marks it) and keeps its handle.
import { afterEach, describe, expect, it } from 'vitest';
import type { GapInfo } from '../../src/index.js';
import { startSubServer, type SubServer } from './sub-server.js';
import { JsonRpcPool } from '../../src/index.js';
import { PoolJar, take, until } from './support.js';

const jar = new PoolJar();
const servers: SubServer[] = [];
afterEach(async () => {
  await jar.closeAll();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('several endpoints', () => {
  it('a subscription on an endpoint that goes down moves to another one', async () => {
    const [a, b] = await Promise.all([startSubServer(), startSubServer()]);
    servers.push(a, b);
    const pool = jar.add(
      new JsonRpcPool({ endpoints: [a.url, b.url], balance: 'priority', healthCheckPeriod: Infinity }),
    );
    const gaps: GapInfo[] = [];
    const sub = await pool.subscribe<string>('eth_subscribe', ['ep'], {
      onGap: (gap) => void gaps.push(gap),
    });
    expect([a.live, b.live]).toEqual([1, 0]); // 'priority': the first endpoint takes it
    await a.stop();
    await until(() => b.live === 1, 'the subscription on the second endpoint');
    b.publish('ep', 'from b');
    expect(await take(sub, 1)).toEqual(['from b']);
    expect(gaps).toHaveLength(1);
    expect(sub.resubscribes).toBe(1);
  });
});
