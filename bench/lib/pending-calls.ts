/**
 * What the hand-written raw `ws` JSON-RPC clients share: calls waiting for their reply by id, and
 * the wiring of their sockets (every message to one handler; a socket that closes fails them all).
 * @module
 */
import type WebSocket from 'ws';
import type { RawData } from 'ws';

/** A call's promise callbacks, waiting for its reply. */
export interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** A JSON-RPC response as the raw clients read it. */
export interface Answer {
  id: number;
  result?: unknown;
  error?: { message: string };
}

/** Settle the call `answer` answers, if it is still waiting. */
export function settle(pending: Map<number, Pending>, answer: Answer): void {
  const call = pending.get(answer.id);
  if (call === undefined) return;
  pending.delete(answer.id);
  if (answer.error === undefined) call.resolve(answer.result);
  else call.reject(new Error(answer.error.message));
}

/** Send every socket's messages to `onMessage`; when one closes, every waiting call fails. */
export function wireSockets(
  sockets: readonly WebSocket[],
  pending: Map<number, Pending>,
  onMessage: (data: RawData) => void,
): void {
  const onClose = (): void => {
    const error = new Error('socket closed');
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  };
  for (const socket of sockets) {
    socket.on('message', onMessage);
    socket.on('close', onClose);
  }
}
