export { ArbiterClient } from './arbiter-client.js';
export { ArbiterBlockedError, ArbiterConnectError } from './errors.js';
export type { ArbiterConnectErrorCode } from './errors.js';
export type { WrapOptions } from './guard.js';
export type { Inventory, InventoryAnswer } from './inventory.js';
export type { AbortSignalLike, AgentAction, ConnectOptions, DecideOptions, Verdict, VerdictSource } from './types.js';
export { canonicalJson, eventInputSha256 } from './canonical.js';
