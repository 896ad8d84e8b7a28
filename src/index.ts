export * from './errors.js';
export { connect } from './connection/connect.js';
export { Connection } from './connection/connection.js';
export type { CloseInfo, PingOptions, SendData } from './connection/connection.js';
export type { Message, ReadOptions } from './connection/inbox.js';
export type { ConnectOptions, Dialer, DialOptions, TlsOptions } from './connection/options.js';
export { CHANNELS } from './diagnostics.js';
export type * from './diagnostics.js';
