/**
 * A pool written by hand over `ws`, as small as one can make it: an idle stack, a FIFO of waiting
 * callers, dials on demand up to `maxConns`. No timeouts, no health checks, no lifetimes, no
 * stale-message isolation, no statistics.
 *
 * Not a library anyone should ship: it is here to show what pooling itself costs in this harness
 * (64 callers sharing 8 sockets, against raw `ws` with 8 socket-owning workers), so that the gap
 * between wspool and raw `ws` can be split into "any pool" and "wspool's features".
 */
import type { Contender, ExclusivePool, Lease } from '../lib/contender.js';
import { closeSocket, openSocket, PooledTextLink } from '../lib/ws-link.js';

class HandPool implements ExclusivePool {
  readonly #url: string;
  readonly #max: number;
  readonly #idle: PooledTextLink[] = [];
  readonly #all: PooledTextLink[] = [];
  /** Waiting callers, oldest at `#head`; compacted once half of the array has been served. */
  #waiters: ((link: PooledTextLink) => void)[] = [];
  #head = 0;
  #opened = 0;
  readonly #giveBack = (link: PooledTextLink): void => {
    if (this.#head === this.#waiters.length) {
      this.#idle.push(link);
      return;
    }
    const waiter = this.#waiters[this.#head++] as (link: PooledTextLink) => void;
    if (this.#head === this.#waiters.length) {
      this.#waiters = [];
      this.#head = 0;
    } else if (this.#head * 2 > this.#waiters.length) {
      this.#waiters = this.#waiters.slice(this.#head);
      this.#head = 0;
    }
    waiter(link);
  };

  constructor(url: string, max: number) {
    this.#url = url;
    this.#max = max;
  }

  acquire(): Promise<Lease> {
    const link = this.#idle.pop();
    if (link !== undefined) return Promise.resolve(link);
    if (this.#opened < this.#max) return this.#dial();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async fill(count: number): Promise<void> {
    const links = await Promise.all(Array.from({ length: count }, () => this.#dial()));
    for (const link of links) link.release();
  }

  async close(): Promise<void> {
    await Promise.all(this.#all.map((link) => closeSocket(link.socket)));
  }

  async #dial(): Promise<PooledTextLink> {
    this.#opened++;
    try {
      const link = new PooledTextLink(await openSocket(this.#url), this.#giveBack);
      this.#all.push(link);
      return link;
    } catch (error) {
      this.#opened--;
      throw error;
    }
  }
}

const contender: Contender = {
  name: 'hand-written pool + ws',

  async exclusivePool({ url, minConns, maxConns }): Promise<ExclusivePool> {
    const pool = new HandPool(url, maxConns);
    await pool.fill(minConns);
    return pool;
  },
};

export default contender;
