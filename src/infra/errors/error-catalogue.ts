/**
 * Every error Arbiter reports, by stable code: its HTTP status and, where a WebSocket carries it, its close code.
 * The HTTP filter and the WebSocket gateway both answer `{"error":{"code","message"}}` (or an `error` frame) from here.
 */
export const ERROR_CATALOGUE = {
  validation_failed: { status: 400 },
  /** An edited approval on a project whose allow_edits is off. */
  edits_not_allowed: { status: 400 },
  bad_request: { status: 400 },
  unauthorized: { status: 401, wsClose: 4401 },
  invalid_credentials: { status: 401 },
  csrf_required: { status: 403 },
  forbidden: { status: 403 },
  password_change_required: { status: 403 },
  not_found: { status: 404 },
  method_not_allowed: { status: 405 },
  conflict: { status: 409 },
  last_admin: { status: 409 },
  already_decided: { status: 409 },
  expired: { status: 410 },
  view_limit_reached: { status: 410 },
  revoked: { status: 410 },
  /** A share link whose session's events retention removed (src/retention). */
  transcript_deleted: { status: 410 },
  payload_too_large: { status: 413, wsClose: 1009 },
  unsupported_media_type: { status: 415 },
  rate_limited: { status: 429 },
  internal: { status: 500 },
  not_ready: { status: 503, wsClose: 1012 },
  // WebSocket-only protocol errors
  protocol_error: { status: 400, wsClose: 4400 },
  login_timeout: { status: 408, wsClose: 4408 },
  session_in_use: { status: 409, wsClose: 4409 },
  superseded: { status: 409, wsClose: 4001 },
  slow_consumer: { status: 503, wsClose: 1013 },
} as const satisfies Record<string, { status: number; wsClose?: number }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An error meant for the caller: its message is safe to show. Anything else becomes a generic 500. */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Sent as `Retry-After` with a 429 or 503. */
    readonly retryAfterSeconds?: number,
    /** Machine-readable facts for the caller, rendered as `error.details` (e.g. a review's actual state on a 409). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.status = ERROR_CATALOGUE[code].status;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function errorBody(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: details ? { code, message, details } : { code, message } };
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'not_ready',
};

export function codeForStatus(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'internal' : 'bad_request');
}
