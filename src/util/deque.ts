/**
 * A growable ring buffer: O(1) push, shift and peek at both ends. Used for inbound message
 * queues, reader queues and the idle stack, where `Array.prototype.shift` would be O(n).
 */
export class Deque<T> {
  #buf: (T | undefined)[];
  #head = 0;
  #length = 0;
  #mask: number;

  constructor(initialCapacity = 16) {
    let cap = 4;
    while (cap < initialCapacity) cap <<= 1;
    this.#buf = new Array<T | undefined>(cap);
    this.#mask = cap - 1;
  }

  get length(): number {
    return this.#length;
  }

  /** Append at the back. */
  push(value: T): void {
    if (this.#length === this.#buf.length) this.#grow();
    this.#buf[(this.#head + this.#length) & this.#mask] = value;
    this.#length++;
  }

  /** Remove and return the front, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const value = this.#buf[this.#head];
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    return value;
  }

  /** Remove and return the back, or `undefined` when empty. */
  pop(): T | undefined {
    if (this.#length === 0) return undefined;
    const index = (this.#head + this.#length - 1) & this.#mask;
    const value = this.#buf[index];
    this.#buf[index] = undefined;
    this.#length--;
    return value;
  }

  /** The front without removing it. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#buf[this.#head];
  }

  /** The back without removing it. */
  peekBack(): T | undefined {
    return this.#length === 0 ? undefined : this.#buf[(this.#head + this.#length - 1) & this.#mask];
  }

  /** Remove every element, front first, returning them. */
  drain(): T[] {
    const out: T[] = [];
    while (this.#length > 0) out.push(this.shift() as T);
    return out;
  }

  /** Iterate front to back without removing. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#length; i++) yield this.#buf[(this.#head + i) & this.#mask] as T;
  }

  #grow(): void {
    const old = this.#buf;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.#length; i++) next[i] = old[(this.#head + i) & this.#mask];
    this.#buf = next;
    this.#head = 0;
    this.#mask = next.length - 1;
  }
}
