import type { Verdict, VerdictSource } from './types.js';

/**
 * Why `connect` failed. `connection_refused`: nothing listens there; `dns`: the host name does not resolve; `tls`: the
 * TLS handshake failed (e.g. `wss://` to a plain port); `http_status`: the server answered the upgrade with an HTTP
 * status (`status`; e.g. 404 for a wrong path); `auth`: the API key was refused (close 4401, or HTTP 401/403);
 * `session_in_use`: another connection holds the session (4409); `protocol`: the server refused the login frame
 * (4400); `network`: the connection failed otherwise (reset, unreachable); `timeout`: no login within
 * `connectTimeoutMs` and no failure to report.
 */
export type ArbiterConnectErrorCode = 'connection_refused' | 'dns' | 'tls' | 'http_status' | 'auth' | 'session_in_use' | 'protocol' | 'network' | 'timeout';

export class ArbiterConnectError extends Error {
  override readonly name = 'ArbiterConnectError';
  constructor(
    readonly code: ArbiterConnectErrorCode,
    message: string,
    readonly details: { closeCode?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  get closeCode(): number | undefined {
    return this.details.closeCode;
  }

  get status(): number | undefined {
    return this.details.status;
  }
}

/** Thrown by `guard` and wrapped functions when the verdict is not allow: the function did not run. */
export class ArbiterBlockedError extends Error {
  override readonly name = 'ArbiterBlockedError';
  readonly reason: string;
  readonly source: VerdictSource;
  readonly reviewId: string | null;
  readonly eventId: string;

  constructor(
    readonly verdict: Verdict,
    what = 'the action',
  ) {
    super(`Arbiter blocked ${what} (${verdict.source}): ${verdict.reason}`);
    this.reason = verdict.reason;
    this.source = verdict.source;
    this.reviewId = verdict.review_id;
    this.eventId = verdict.event_id;
  }
}
