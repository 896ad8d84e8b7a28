/**
 * An intrusive doubly linked list: O(1) push, shift and removal of any node. Used for wait
 * queues whose entries leave from the middle (an aborted or timed-out waiter).
 */
export interface ListNode {
  prev: ListNode | null;
  next: ListNode | null;
  /** The list the node is on, or null when detached. */
  list: LinkedList<ListNode> | null;
}

export class LinkedList<T extends ListNode> {
  #head: T | null = null;
  #tail: T | null = null;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Append at the back. The node must be detached. */
  push(node: T): void {
    node.list = this;
    node.prev = this.#tail;
    node.next = null;
    if (this.#tail) this.#tail.next = node;
    else this.#head = node;
    this.#tail = node;
    this.#length++;
  }

  /** Remove and return the front. */
  shift(): T | null {
    const node = this.#head;
    if (node) this.remove(node);
    return node;
  }

  /** The front without removing it. */
  peek(): T | null {
    return this.#head;
  }

  /** Remove a node if it is on this list; a no-op otherwise. */
  remove(node: T): boolean {
    if (node.list !== (this as unknown as LinkedList<ListNode>)) return false;
    if (node.prev) node.prev.next = node.next;
    else this.#head = node.next as T | null;
    if (node.next) node.next.prev = node.prev;
    else this.#tail = node.prev as T | null;
    node.prev = node.next = null;
    node.list = null;
    this.#length--;
    return true;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let n = this.#head; n; n = n.next as T | null) yield n;
  }
}
