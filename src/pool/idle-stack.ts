import type { ResourceRecord } from './resource.js';

/**
 * The idle resources, most recently released on top. Intrusive (the links live on the records),
 * so push, pop and removal from the middle (an idle resource destroyed by a health check or
 * because its socket closed) are all O(1) without allocating.
 *
 * LIFO reuse keeps the hot set small and warm: the resources at the bottom are the ones that go
 * unused, so idle-time eviction finds them.
 */
export class IdleStack<T> {
  #top: ResourceRecord<T> | null = null;
  #bottom: ResourceRecord<T> | null = null;
  #length = 0;

  /** Number of idle records. */
  get length(): number {
    return this.#length;
  }

  /** Put a record on top. It must not be on the stack already. */
  push(record: ResourceRecord<T>): void {
    record.below = this.#top;
    record.above = null;
    if (this.#top !== null) this.#top.above = record;
    else this.#bottom = record;
    this.#top = record;
    this.#length++;
  }

  /** Take the most recently pushed record, or null when empty. */
  pop(): ResourceRecord<T> | null {
    const record = this.#top;
    if (record !== null) this.remove(record);
    return record;
  }

  /** Unlink a record that is on this stack (the caller knows it is: its state is `idle`). */
  remove(record: ResourceRecord<T>): void {
    if (record.above !== null) record.above.below = record.below;
    else this.#top = record.below;
    if (record.below !== null) record.below.above = record.above;
    else this.#bottom = record.above;
    record.above = record.below = null;
    this.#length--;
  }

  /** Every record, bottom (least recently released) to top, as a new array. */
  toArray(): ResourceRecord<T>[] {
    const out: ResourceRecord<T>[] = [];
    for (let r = this.#bottom; r !== null; r = r.above) out.push(r);
    return out;
  }
}
