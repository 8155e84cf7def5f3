/** A typed LISTEN/NOTIFY channel. Payloads are JSON and must stay well under PostgreSQL's 8000-byte limit. */
export interface NotifyChannel<T> {
  readonly name: string;
  /** Phantom field carrying the payload type; never set. */
  readonly _payload?: T;
}

export function notifyChannel<T>(name: string): NotifyChannel<T> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad channel name ${name}`);
  return { name };
}
