export { ArbiterClient, ArbiterConnectError } from './arbiter-client.js';
export type { AgentAction, ArbiterConnectErrorCode, ConnectOptions, DecideOptions, Verdict } from './arbiter-client.js';
export { canonicalJson, eventInputSha256 } from './canonical.js';
