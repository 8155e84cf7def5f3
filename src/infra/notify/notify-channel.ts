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

/** What runs a tagged statement inside a Prisma transaction (kept structural, so this file needs no client import). */
interface TransactionRunner {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
}

/**
 * Queues a notification in the caller's transaction: PostgreSQL sends it when, and only if, the transaction commits,
 * so listeners never hear of a change that rolled back. Typed by the channel, like PgNotifyService.publish.
 */
export async function notifyOnCommit<T>(tx: TransactionRunner, channel: NotifyChannel<T>, payload: T): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${channel.name}, ${JSON.stringify(payload)})`;
}
