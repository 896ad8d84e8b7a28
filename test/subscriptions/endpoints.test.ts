// Subscriptions over several endpoints: when the endpoint carrying a subscription goes down, the
// subscription moves to another endpoint (a loss: onGap marks it) and keeps its handle.
import { afterEach, describe, expect, it } from 'vitest';
import type { GapInfo } from '../../src/index.js';
import { startSubServer, type SubServer } from './sub-server.js';
import { JsonRpcPool } from '../../src/index.js';
import { PoolJar, take, until, useFakeClock } from './support.js';

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

  it("'least-loaded' places subscriptions by endpoint, not by connection: equal endpoints get equal shares", async () => {
    useFakeClock(); // latency samples are all 0: the split is the weights' alone
    const [a, b] = await Promise.all([startSubServer(), startSubServer()]);
    servers.push(a, b);
    const pool = jar.add(
      new JsonRpcPool({
        endpoints: [a.url, b.url],
        minConns: 3,
        maxConns: 3,
        healthCheckPeriod: Infinity,
      }),
    );
    await until(() => a.sockets.length + b.sockets.length === 3, 'three connections');
    // The premise: the endpoints carry unequal numbers of connections, so a choice per connection
    // would give the one with two connections twice the subscriptions.
    expect(new Set([a.sockets.length, b.sockets.length])).toEqual(new Set([1, 2]));
    const subs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => pool.subscribe<string>('eth_subscribe', [`topic-${i}`])),
    );
    expect(subs).toHaveLength(40);
    expect([a.live, b.live]).toEqual([20, 20]);
  });
});
