/**
 * The embedded server every example talks to: a real `ws` server on 127.0.0.1 (a free port), so
 * the examples run anywhere with no network. Not part of wspool; your server takes its place.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type VerifyClientCallbackSync, type WebSocket } from 'ws';

export interface LocalServer {
  /** `ws://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** Start a server that runs `onConnection` for every client; `verifyClient` may refuse the upgrade (401). */
export async function startLocalServer(
  onConnection: (socket: WebSocket, request: IncomingMessage) => void,
  verifyClient?: VerifyClientCallbackSync,
): Promise<LocalServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...(verifyClient && { verifyClient }) });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  wss.on('connection', onConnection);
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** Echo every message back with its type (text or binary). */
export function echo(socket: WebSocket): void {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
}
