/**
 * The least a raw `ws` contender needs: open a socket, read its next text message, close it.
 *
 * `ws` only emits `'message'` events; reading "the next message" as a promise needs a small
 * inbox. The raw, generic-pool and tarn contenders share this one so they pay the same price,
 * and it is kept as thin as a hand-written client would be.
 *
 * @module
 */
import WebSocket, { type RawData } from 'ws';

/** Opens a client socket (no compression, like wspool's default) and resolves once it is open. */
export function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const onOpen = (): void => {
      socket.off('error', onError);
      // A socket error after the handshake surfaces as 'close'; without a listener it would throw.
      socket.on('error', ignoreError);
      resolve(socket);
    };
    const onError = (error: Error): void => {
      socket.off('open', onOpen);
      reject(error);
    };
    socket.once('open', onOpen);
    socket.once('error', onError);
  });
}

function ignoreError(): void {}

/** Closes `socket` with 1000 and resolves on `'close'`; terminates it if the handshake stalls. */
export function closeSocket(socket: WebSocket, timeoutMs = 2_000): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.terminate(), timeoutMs);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.close(1000);
  });
}

function toText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/**
 * A socket plus "read the next text message". Messages that arrive with no reader waiting are
 * kept in order; one reader at a time (the owner of an exclusive connection).
 */
export class TextLink {
  readonly socket: WebSocket;
  #resolve: ((text: string) => void) | undefined = undefined;
  #reject: ((error: Error) => void) | undefined = undefined;
  // Unread messages: an array with a moving head, compacted when drained (never Array#shift).
  #inbox: string[] = [];
  #head = 0;

  constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data: RawData) => this.#deliver(toText(data)));
    socket.on('close', () => this.#fail(new Error('socket closed')));
  }

  sendMessage(text: string): void {
    this.socket.send(text);
  }

  readMessage(): Promise<string> {
    if (this.#head < this.#inbox.length) {
      const text = this.#inbox[this.#head++] as string;
      if (this.#head === this.#inbox.length) {
        this.#inbox = [];
        this.#head = 0;
      }
      return Promise.resolve(text);
    }
    if (this.socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error('socket closed'));
    if (this.#resolve !== undefined) return Promise.reject(new Error('TextLink allows one reader at a time'));
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  #deliver(text: string): void {
    const resolve = this.#resolve;
    if (resolve === undefined) {
      this.#inbox.push(text);
      return;
    }
    this.#resolve = undefined;
    this.#reject = undefined;
    resolve(text);
  }

  #fail(error: Error): void {
    const reject = this.#reject;
    this.#resolve = undefined;
    this.#reject = undefined;
    reject?.(error);
  }
}

/**
 * A {@link TextLink} that is also a {@link import('./contender.js').Lease}: created once per
 * pooled socket, it hands itself back to its pool on `release()`, so acquiring allocates nothing.
 */
export class PooledTextLink extends TextLink {
  readonly #giveBack: (link: PooledTextLink) => void;

  constructor(socket: WebSocket, giveBack: (link: PooledTextLink) => void) {
    super(socket);
    this.#giveBack = giveBack;
  }

  release(): void {
    this.#giveBack(this);
  }
}
