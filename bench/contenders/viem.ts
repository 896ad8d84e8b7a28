/**
 * viem's `webSocket` transport, as a user calls a custom JSON-RPC method through it:
 * `createClient({ transport: webSocket(url) }).request({ method, params })`. One socket (viem
 * keeps one per URL); no retries (`retryCount: 0`), so a failure shows instead of being retried.
 */
import { createClient, webSocket } from 'viem';

import type { Contender, RpcClient } from '../lib/contender.js';

/** The client's `request` with this bench's methods (viem types it by the chain's RPC schema). */
type Request = (args: { method: string; params: unknown[] }) => Promise<unknown>;

const contender: Contender = {
  name: 'viem webSocket',

  async rpcClient({ url }): Promise<RpcClient> {
    const transport = webSocket(url, { retryCount: 0, keepAlive: false, reconnect: false });
    const client = createClient({ transport });
    const request = client.request as unknown as Request;
    await request({ method: 'echo', params: [] }); // the socket is open before the clock starts
    return {
      call: (method, params) => request({ method, params }),
      async close() {
        const socket = await transport({}).value?.getRpcClient();
        socket?.close();
      },
    };
  },
};

export default contender;
