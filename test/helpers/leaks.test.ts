import { AssertionError } from 'node:assert';
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_LEAK_TYPES,
  FAKE_TIMERS,
  expectNoNewHandles,
  snapshotHandles,
  trackTimers,
} from './index.js';

async function listeningServer(): Promise<net.Server> {
  const server = net.createServer((s) => s.on('error', () => {}));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function leakFailure(p: Promise<void>): Promise<AssertionError> {
  return p.then(
    () => {
      throw new Error('expected expectNoNewHandles to report a leak');
    },
    (e: unknown) => e as AssertionError,
  );
}

describe('snapshotHandles / expectNoNewHandles', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports a deliberately leaked server and socket, then passes once they are closed', async () => {
    const before = snapshotHandles();
    const server = await listeningServer();
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    expect(snapshotHandles().TCPServerWrap ?? 0).toBe((before.TCPServerWrap ?? 0) + 1);

    const err = await leakFailure(expectNoNewHandles(before, { maxTurns: 5 }));
    expect(err).toBeInstanceOf(AssertionError);
    expect(err.message).toMatch(/after 5 event-loop turns/);
    expect(err.message).not.toMatch(/Timeout/);
    expect(err.message).toMatch(/TCPServerWrap \+1/);
    expect(err.message).toMatch(/TCPSocketWrap \+2/); // the client and the server's accepted side

    client.destroy();
    server.close();
    // Closing takes a few turns: the helper waits for them instead of sleeping.
    await expectNoNewHandles(before);
  });

  it("counts ref'ed timers only when 'Timeout' is asked for", async () => {
    const before = snapshotHandles();
    // Three, because vitest may hold (or drop) one ref'ed timer of its own between the two counts.
    const own = [1, 2, 3].map(() => setTimeout(() => {}, 60_000));
    const server = await listeningServer();
    try {
      const withTimers = [...DEFAULT_LEAK_TYPES, 'Timeout'];
      const err = await leakFailure(expectNoNewHandles(before, { types: withTimers, maxTurns: 2 }));
      expect(err.message).toMatch(/Timeout \+[234]/);
      expect(err.message).toMatch(/TCPServerWrap \+1/);
      // Restricted to Timeout, the listening server is not looked at; by default timers are not.
      const onlyTimers = await leakFailure(expectNoNewHandles(before, { types: ['Timeout'], maxTurns: 2 }));
      expect(onlyTimers.message).not.toMatch(/TCPServerWrap/);
      const byDefault = await leakFailure(expectNoNewHandles(before, { maxTurns: 2 }));
      expect(byDefault.message).not.toMatch(/Timeout/);
    } finally {
      for (const t of own) clearTimeout(t);
      server.close();
    }
    await expectNoNewHandles(before);
  });

  it("trackTimers() sees unref'ed timers and socket timeouts, and names where they were created", async () => {
    const tracker = trackTimers();
    try {
      const before = snapshotHandles();
      const unrefd = setTimeout(() => {}, 60_000).unref();
      expect(snapshotHandles().Timeout).toBe(before.Timeout); // invisible to the resource list
      const err = await leakFailure(expectNoNewHandles(before, { timers: tracker, maxTurns: 2 }));
      expect(err.message).toMatch(/timer created .*leaks\.test\.ts/);
      clearTimeout(unrefd);
      await expectNoNewHandles(before, { timers: tracker });

      const server = await listeningServer();
      const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
      client.setTimeout(60_000);
      await once(client, 'connect');
      expect(tracker.pending()).toHaveLength(1);
      client.destroy();
      server.close();
      await expectNoNewHandles(before, { timers: tracker });
      expect(tracker.pending()).toEqual([]);
    } finally {
      tracker.stop();
    }
  });

  it('works under vi.useFakeTimers(): counts fake timers and still turns the real loop', async () => {
    vi.useFakeTimers();
    const before = snapshotHandles();
    expect(before[FAKE_TIMERS]).toBe(0);

    setTimeout(() => {}, 1_000); // a fake timer: no real Timeout exists for it
    const server = await listeningServer();
    const err = await leakFailure(expectNoNewHandles(before, { maxTurns: 3 }));
    expect(err.message).toMatch(/FakeTimers \+1/);
    expect(err.message).toMatch(/TCPServerWrap \+1/);

    vi.clearAllTimers();
    server.close();
    await expectNoNewHandles(before);
  });
});
