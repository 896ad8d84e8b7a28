import WebSocket, { type ClientOptions } from 'ws';

/** Opens a raw `ws` client; rejects on `error` or on a non-101 answer (`unexpected-response`). */
export function openClient(url: string, options: ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const onError = (err: Error): void => {
      ws.off('open', onOpen);
      reject(err);
    };
    const onOpen = (): void => {
      ws.off('error', onError);
      resolve(ws);
    };
    ws.once('open', onOpen);
    ws.once('error', onError);
  });
}

/** Resolves with the close code and reason once `ws` emits `close` (at once if already closed). */
export function waitForClose(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

/** Resolves with the next message as `string` (text frame) or `Buffer` (binary frame). */
export function nextMessage(ws: WebSocket): Promise<string | Buffer> {
  return new Promise((resolve) => {
    ws.once('message', (data: Buffer, isBinary) => resolve(isBinary ? data : data.toString('utf8')));
  });
}

/** Terminates `ws` (no close frame) and resolves when its socket is closed. */
export async function terminateClient(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  const closed = waitForClose(ws);
  ws.terminate();
  await closed;
}
