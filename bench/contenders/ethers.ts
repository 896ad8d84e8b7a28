/**
 * ethers v6 `WebSocketProvider`, calling custom methods with `provider.send(method, params)`. The
 * network is given (chain 1) so the provider sends no `eth_chainId` of its own; socket providers
 * never batch (ethers forces `batchMaxCount: 1`). One socket.
 */
import { Network, WebSocketProvider } from 'ethers';

import type { Contender, RpcClient } from '../lib/contender.js';

const contender: Contender = {
  name: 'ethers v6 WebSocketProvider',

  async rpcClient({ url }): Promise<RpcClient> {
    const provider = new WebSocketProvider(url, Network.from(1), { staticNetwork: true });
    await provider.send('echo', []); // the socket is open before the clock starts
    return {
      call: (method, params) => provider.send(method, params) as Promise<unknown>,
      close: () => provider.destroy(),
    };
  },
};

export default contender;
