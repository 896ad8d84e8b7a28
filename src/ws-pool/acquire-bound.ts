/**
 * The bound of one checked hand-out: the caller's deadline, the caller's signal and the pool's
 * close, as one thing every step of the hand-out (ping, `beforeAcquire`) is raced against. Made
 * only on the slow path; the idle-ready fast path never builds one.
 */
import { MAX_TIMER_MS, monotonic, startTimer, stopTimer, type Timer } from '../clock.js';
import { WsPoolError } from '../errors.js';
import type { AcquireOptions as CoreAcquireOptions } from '../pool/options.js';

/** The bound of one checked hand-out (see the module docs). */
export class AcquireBound {
  /** The caller's timeout (ms, possibly `Infinity`), for messages. */
  readonly timeout: number;
  /** The caller's signal, if any. */
  readonly signal: AbortSignal | undefined;
  /** Aborts when the pool closes (reason: `WSPOOL_ERR_POOL_CLOSED`). */
  readonly #closing: AbortSignal;
  /** Monotonic ms by which the core must hand a connection over. */
  readonly #deadline: number;
  /**
   * Monotonic ms by which the checks must be done: the deadline, except for `timeout: 0`, which
   * forbids queueing, not checking (as the core waits untimed for a create that timeout 0 started).
   */
  readonly #checksDeadline: number;
  #gaveUp: Promise<never> | undefined;
  #giveUp: ((reason: unknown) => void) | undefined;
  #timer: Timer | undefined;
  #fired = false;

  /** `startedAt`: monotonic ms the acquire began (its deadline counts from there). */
  constructor(timeout: number, signal: AbortSignal | undefined, closing: AbortSignal, startedAt: number) {
    this.timeout = timeout;
    this.signal = signal;
    this.#closing = closing;
    this.#deadline = timeout === Infinity ? Infinity : startedAt + timeout;
    this.#checksDeadline = timeout === 0 ? Infinity : this.#deadline;
  }

  /** True once a race was lost to the bound: the step's connection must be destroyed. */
  get fired(): boolean {
    return this.#fired;
  }

  /** Ms left for the checks (`Infinity` without a deadline). */
  remaining(): number {
    return this.#checksDeadline === Infinity ? Infinity : Math.max(0, this.#checksDeadline - monotonic());
  }

  /** What the core is asked for the next take or replacement: what is left of the deadline. */
  coreOptions(): CoreAcquireOptions | undefined {
    if (this.#deadline === Infinity && this.signal === undefined) return undefined;
    const timeout = this.#deadline === Infinity ? Infinity : Math.max(0, this.#deadline - monotonic());
    return this.signal ? { signal: this.signal, timeout } : { timeout };
  }

  /** Why the acquire must stop now (the pool closed, the caller aborted, time is up), else undefined. */
  reason(): Error | undefined {
    // An abort's reason is whatever the caller passed (usually an Error; the platform's default is
    // a DOMException); it is rethrown as is.
    if (this.#closing.aborted) return this.#closing.reason as Error;
    if (this.signal?.aborted === true) return this.signal.reason as Error;
    if (monotonic() >= this.#checksDeadline) return this.#timeoutError();
    return undefined;
  }

  /**
   * `step`, or the bound's reason if it comes first (then {@link AcquireBound.fired} is true). The
   * step goes on unobserved: its later rejection is handled here, never unhandled.
   */
  race<T>(step: Promise<T>): Promise<T> {
    const now = this.reason();
    if (now !== undefined) {
      step.catch(noop);
      this.#fired = true;
      return Promise.reject(now);
    }
    return Promise.race([step, this.#armed()]);
  }

  /** Drop the timer and the listeners. Called once the hand-out is over, whichever way. */
  dispose(): void {
    stopTimer(this.#timer);
    this.#timer = undefined;
    if (this.#giveUp !== undefined) {
      this.#closing.removeEventListener('abort', this);
      this.signal?.removeEventListener('abort', this);
      this.#giveUp = undefined;
    }
  }

  /** Abort listener of both signals (the `EventListenerObject` protocol). */
  handleEvent(): void {
    this.#fire(this.reason());
  }

  /** The promise every race shares: armed on the first race, so a hand-out with no step makes none. */
  #armed(): Promise<never> {
    if (this.#gaveUp !== undefined) return this.#gaveUp;
    this.#gaveUp = new Promise<never>((_resolve, reject) => {
      this.#giveUp = reject;
    });
    this.#gaveUp.catch(noop); // observed through the races; a hand-out that ends first never reads it
    this.#closing.addEventListener('abort', this, { once: true });
    this.signal?.addEventListener('abort', this, { once: true });
    if (this.#checksDeadline !== Infinity) {
      this.#timer = startTimer(
        () => this.#fire(this.#timeoutError()),
        Math.min(MAX_TIMER_MS, Math.max(0, this.#checksDeadline - monotonic())),
      );
    }
    return this.#gaveUp;
  }

  #fire(reason: unknown): void {
    const giveUp = this.#giveUp;
    if (giveUp === undefined || reason === undefined) return;
    this.#fired = true;
    this.dispose();
    giveUp(reason);
  }

  #timeoutError(): WsPoolError {
    return new WsPoolError(
      'WSPOOL_ERR_ACQUIRE_TIMEOUT',
      `No connection could be checked and handed out within ${this.timeout} ms: the one tried did not answer its ping or pass beforeAcquire in time, so it was closed. Raise the acquire timeout, or lower pingTimeout or speed up beforeAcquire.`,
    );
  }
}

function noop(): void {}
