/**
 * The contract between the bench runner and a contender module in `bench/contenders/`.
 *
 * A contender module `export default`s a {@link Contender}: a display name plus one async factory
 * per shape of client it can offer. Each suite runs every contender that has the factory it needs
 * and leaves the others out, so a module only implements what its library can do:
 *
 * | factory | used by |
 * |---|---|
 * | `exclusivePool` | 1 acquire + release, 2 exclusive echo, 4 waiters / fill / memory |
 * | `echoWorkers` | 2 exclusive echo (the raw limit: one socket per worker, no pool) |
 * | `echoClient` | 2 exclusive echo (a pool's one-call path: `withConnection`, `exchange`) |
 * | `rpcClient` | 3 multiplexed JSON-RPC |
 * | `subscriptionClient` | 3 notification fan-in |
 * | `openConnections` | 4 fill / memory (the raw baseline: plain sockets, no pool) |
 *
 * The interfaces are written in wspool's own terms (see shared/API.md) so that wspool's objects
 * satisfy them as they are: a `PooledConnection` is a {@link Lease}, a `Pool` an
 * {@link ExclusivePool}, a `JsonRpcPool` an {@link RpcClient}. The harness adds no wrapper on
 * wspool's hot path; the alternatives get the thinnest adapter their API needs.
 *
 * @module
 */

/** One checked-out connection. wspool's `PooledConnection` satisfies this as is. */
export interface Lease {
  /** Sends one text frame. */
  sendMessage(text: string): Promise<void> | void;
  /** Resolves with the next text message received on this connection. */
  readMessage(): Promise<string>;
  /** Returns the connection to its pool. Called exactly once per acquire. */
  release(): void;
}

/** A pool that checks connections out exclusively. wspool's `Pool` satisfies this as is. */
export interface ExclusivePool {
  acquire(): Promise<Lease>;
  /** Closes every connection; resolves when they are closed. */
  close(): Promise<void>;
}

export interface ExclusivePoolOptions {
  /** `ws://127.0.0.1:<port>/echo` on the bench server. */
  readonly url: string;
  /** Hard cap on open connections. */
  readonly maxConns: number;
  /**
   * Connections that must be open when the factory's promise resolves (`<= maxConns`). The fill
   * benchmark times exactly this, so open them in parallel if the library can.
   */
  readonly minConns: number;
  /**
   * Set by the fill and memory tests: ms a single dial may take before the library gives up.
   * Raw ws has no such limit, and 10,000 sockets opened at once wait seconds in the server's
   * accept queue; a pool that has one should use this instead of its default.
   */
  readonly connectTimeout?: number;
}

/** The raw limit for exclusive echo: `workers` callers, each owning one socket, no pool. */
export interface EchoWorkers {
  /** How many concurrent callers the harness runs (one per socket). */
  readonly workers: number;
  /** Sends `text` on worker `worker`'s socket and resolves with the echoed message. */
  echo(worker: number, text: string): Promise<string>;
  close(): Promise<void>;
}

export interface EchoWorkersOptions {
  /** `ws://127.0.0.1:<port>/echo` on the bench server. */
  readonly url: string;
  /** Sockets to open, one per worker. */
  readonly connections: number;
}

/**
 * A pool driven through one call per echo, the way the library offers it (`withConnection`,
 * `exchange`): the call acquires, sends, reads the reply and releases.
 */
export interface EchoClient {
  /** Sends `text` on a pooled connection and resolves with the reply. */
  echo(text: string): Promise<string>;
  close(): Promise<void>;
}

/** A multiplexed JSON-RPC 2.0 client. wspool's `JsonRpcPool` satisfies this as is. */
export interface RpcClient {
  /** Sends one request and resolves with its `result` (rejects on an `error` response). */
  call(method: string, params: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

export interface RpcClientOptions {
  /** `ws://127.0.0.1:<port>/rpc` on the bench server. */
  readonly url: string;
  /** Connections to spread requests over. */
  readonly connections: number;
  /** Requests the harness keeps in flight in total (`connections * per-connection share`). */
  readonly inFlight: number;
}

/**
 * Subscriptions spread over a few connections, each read by its own consumer: the notification
 * fan-in. wspool's are `JsonRpcPool.subscribe()` handles read with `next()` (what `for await` calls).
 */
export interface SubscriptionClient {
  /** Subscriptions open. */
  readonly subscriptions: number;
  /** The next notification of subscription `index`, as `for await` sees it (an iterator result). */
  next(index: number): Promise<IteratorResult<unknown>>;
  /** Ask the server to push `count` notifications of subscription `index` (one frame, no reply). */
  poke(index: number, count: number): void;
  close(): Promise<void>;
}

export interface SubscriptionClientOptions {
  /** `ws://127.0.0.1:<port>/rpc` on the bench server (methods `bench_subscribe`, `bench_poke`). */
  readonly url: string;
  /** Connections to spread the subscriptions over. */
  readonly connections: number;
  /** Subscriptions to open (the promise resolves once every one is confirmed). */
  readonly subscriptions: number;
}

/** Something holding open connections that can be closed. */
export interface ConnectionSet {
  close(): Promise<void>;
}

export interface OpenConnectionsOptions {
  /** `ws://127.0.0.1:<port>/echo` on the bench server. */
  readonly url: string;
  /** Sockets to open; the promise resolves once all are open. */
  readonly count: number;
}

/** What a module in `bench/contenders/` exports as its default export. */
export interface Contender {
  /** Display name in tables and the chart, e.g. `'generic-pool + ws'`. */
  readonly name: string;
  readonly exclusivePool?: (options: ExclusivePoolOptions) => Promise<ExclusivePool>;
  readonly echoWorkers?: (options: EchoWorkersOptions) => Promise<EchoWorkers>;
  readonly echoClient?: (options: ExclusivePoolOptions) => Promise<EchoClient>;
  readonly rpcClient?: (options: RpcClientOptions) => Promise<RpcClient>;
  readonly subscriptionClient?: (options: SubscriptionClientOptions) => Promise<SubscriptionClient>;
  readonly openConnections?: (options: OpenConnectionsOptions) => Promise<ConnectionSet>;
}

/** A contender module that imported successfully. */
export interface LoadedContender {
  /** The module's file name without extension (`'generic-pool'`, `'wspool-pool'`): stable key in results. */
  readonly id: string;
  /** Absolute path of the module, for child processes (the memory probe) that import it again. */
  readonly file: string;
  readonly contender: Contender;
}
