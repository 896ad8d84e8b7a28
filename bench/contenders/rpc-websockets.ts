/**
 * `rpc-websockets`' `Client` (JSON-RPC 2.0 over `ws`, ids matched in a map): `client.call(method,
 * params)`. One socket, no reconnect.
 */
import { Client } from 'rpc-websockets';

import type { Contender, RpcClient } from '../lib/contender.js';

function opened(client: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', reject);
  });
}

const contender: Contender = {
  name: 'rpc-websockets Client',

  async rpcClient({ url }): Promise<RpcClient> {
    const client = new Client(url, { autoconnect: true, reconnect: false });
    await opened(client);
    return {
      call: (method, params) => client.call(method, params),
      close() {
        const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
        client.close();
        return closed;
      },
    };
  },
};

export default contender;
