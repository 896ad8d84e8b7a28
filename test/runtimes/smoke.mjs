// The runtime smoke suite: the public API of the built package, driven against a real server, on
// whichever runtime runs this file (Node 20/22/24, Bun, Deno). Plain JavaScript, so every runtime
// runs it as it is. Started by run.ts as `<runtime> smoke.mjs <wspool entry URL> <server URL>`.
//
// Each check throws on a wrong answer. The run ends with one JSON line naming the checks that
// passed. It never calls process.exit: the process must end by itself once every pool and
// connection is closed, so a socket or timer left behind shows as a hang (run.ts times it out).
//
// A new feature adds its check to CHECKS.

/* global process, URL, console -- the globals every one of these runtimes has */

const [entry, url] = process.argv.slice(-2);
const wspool = await import(entry);
const { connect, createPool, JsonRpcPool, MultiplexPool, WsPoolError } = wspool;

function expectEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

const CHECKS = {
  async connect() {
    const conn = await connect(url, { connectTimeout: 5_000 });
    try {
      await conn.sendMessage('hello');
      expectEqual(await conn.readMessage({ timeout: 5_000 }), 'hello', 'text echo');
      await conn.sendJSON({ n: 1 });
      expectEqual(await conn.readJSON({ timeout: 5_000 }), { n: 1 }, 'JSON echo');
      await conn.sendBinary(new Uint8Array([1, 2, 3]));
      expectEqual([...(await conn.readBinary({ timeout: 5_000 }))], [1, 2, 3], 'binary echo');
      const rtt = await conn.ping({ timeout: 5_000 });
      if (typeof rtt !== 'number') throw new Error(`ping resolved with ${String(rtt)}`);
    } finally {
      await conn.close();
    }
    expectEqual((await conn.closed).code, 1000, 'close code');
  },

  async pool() {
    const pool = await createPool({ url, minConns: 1, maxConns: 3 });
    try {
      const replies = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          pool.withConnection(async (conn) => {
            await conn.sendMessage(`m${i}`);
            return conn.readMessage({ timeout: 5_000 });
          }),
        ),
      );
      expectEqual(
        replies,
        Array.from({ length: 12 }, (_, i) => `m${i}`),
        'pooled echoes',
      );
      if (pool.stat().totalConns > 3) throw new Error(`maxConns exceeded: ${pool.stat().totalConns}`);
    } finally {
      await pool.close();
    }
    expectEqual(pool.stat().totalConns, 0, 'connections after close');
  },

  async multiplexPool() {
    // The echo server sends each frame back, so the request is its own reply.
    const codec = {
      encode: (req, id) => JSON.stringify({ id, q: req.q }),
      decode: (frame) => {
        const msg = JSON.parse(String(frame));
        return typeof msg.id === 'number' ? { id: msg.id, ok: true, value: msg.q } : undefined;
      },
    };
    const pool = new MultiplexPool({ url, codec, maxConns: 2, maxInFlightPerConn: 8 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => pool.request({ q: i }, { timeout: 5_000 })),
      );
      expectEqual(
        answers,
        Array.from({ length: 40 }, (_, i) => i),
        'multiplexed replies',
      );
    } finally {
      await pool.close();
    }
    expectEqual(pool.stat().totalConns, 0, 'connections after close');
  },

  async jsonRpcPool() {
    const rpc = new JsonRpcPool({ url, maxConns: 2 });
    try {
      expectEqual(await rpc.call('add', [1, 2]), 3, 'call');
      const sums = await Promise.all(Array.from({ length: 30 }, (_, i) => rpc.call('add', [i, 1])));
      expectEqual(
        sums,
        Array.from({ length: 30 }, (_, i) => i + 1),
        'concurrent calls',
      );
      const batch = await rpc.callBatch([
        { method: 'add', params: [2, 3] },
        { method: 'add', params: [4, 5] },
      ]);
      expectEqual(batch, [5, 9], 'batch');
    } finally {
      await rpc.close();
    }
  },

  async subscriptions() {
    // The server pushes three notifications right behind the confirming reply.
    const rpc = new JsonRpcPool({ url, maxConns: 1 });
    try {
      const subscription = await rpc.subscribe('tick_subscribe', []);
      const got = [];
      for await (const value of subscription) {
        got.push(value);
        if (got.length === 3) break; // ends the subscription: tick_unsubscribe
      }
      expectEqual(got, [1, 2, 3], 'notifications');
      expectEqual(rpc.stat().subscriptions, 0, 'server subscriptions after the loop ended');
    } finally {
      await rpc.close();
    }
  },

  async endpoints() {
    // One endpoint refuses every upgrade (HTTP 403): the pool ejects it and serves from the other.
    const refused = new URL('/refuse', url).href;
    const rpc = new JsonRpcPool({ endpoints: [refused, url], maxConns: 2 });
    try {
      const sums = await Promise.all(Array.from({ length: 10 }, (_, i) => rpc.call('add', [i, 1])));
      expectEqual(
        sums,
        Array.from({ length: 10 }, (_, i) => i + 1),
        'calls over the healthy endpoint',
      );
      const [bad, good] = rpc.stat().endpoints;
      expectEqual([bad.openConns, good.openConns > 0], [0, true], 'open connections per endpoint');
    } finally {
      await rpc.close();
    }
  },

  async typedErrors() {
    // The server's own port, path /refuse: it answers the upgrade with HTTP 403.
    const refused = new URL('/refuse', url).href;
    try {
      await connect(refused, { connectTimeout: 5_000 });
    } catch (error) {
      if (!(error instanceof WsPoolError)) throw new Error(`not a WsPoolError: ${String(error)}`);
      expectEqual([error.code, error.status], ['WSPOOL_ERR_CONNECT_FAILED', 403], 'refused upgrade');
      return;
    }
    throw new Error('a refused upgrade did not reject');
  },

  async closeHygiene() {
    // Every earlier check closed what it opened: the server now sees only this connection.
    const conn = await connect(url);
    try {
      await conn.sendMessage('count');
      expectEqual(await conn.readMessage({ timeout: 5_000 }), 'open 1', 'connections open at the server');
    } finally {
      await conn.close();
    }
  },
};

const passed = [];
for (const [name, check] of Object.entries(CHECKS)) {
  try {
    await check();
  } catch (error) {
    error.message = `${name}: ${error.message}`;
    throw error;
  }
  passed.push(name);
}
console.log(JSON.stringify({ passed }));
