// How one failed attempt to connect is classified: what to tell the caller, and whether trying again may help.
import type { ArbiterConnectErrorCode } from './errors.js';

export interface Failure {
  code: ArbiterConnectErrorCode;
  detail: string;
  /** `transport`: retried `connectRetries` times; `server`: the server asked for later, retried until the deadline. */
  retry: false | 'transport' | 'server';
  closeCode?: number;
  status?: number;
  cause?: unknown;
}

/** Close codes after which reconnecting cannot help. */
export const FINAL_CLOSE = new Map<number, string>([
  [4001, 'the session was resumed by another connection'],
  [4002, 'the session was ended by a person'],
  [4400, 'protocol error'],
  [4401, 'the API key is missing, invalid or revoked'],
]);

const CLOSE_CAUSE: Record<number, ArbiterConnectErrorCode> = { 4400: 'protocol', 4401: 'auth', 4409: 'session_in_use' };

/** OpenSSL and Node TLS error codes: a certificate problem, or no TLS at all on the other side. */
const TLS_ERROR = /^(ERR_SSL_|ERR_TLS_|EPROTO$|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/;

/** Classifies a socket or handshake error of one attempt. */
export function socketFailure(err: Error & { code?: string }, url: URL): Failure {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return { code: 'connection_refused', detail: 'connection refused', retry: 'transport', cause: err };
  if (code === 'ENOTFOUND') return { code: 'dns', detail: `host ${url.hostname} not found (ENOTFOUND)`, retry: false, cause: err };
  if (code === 'EAI_AGAIN') return { code: 'dns', detail: `DNS lookup of ${url.hostname} failed for now (EAI_AGAIN)`, retry: 'transport', cause: err };
  if (TLS_ERROR.test(code)) {
    // OpenSSL's message is `…:SSL routines:<function>:<reason>:<file>:<line>:`; the reason is what a person can use.
    const reason = /SSL routines:[^:]*:([^:]+):/.exec(err.message)?.[1] ?? err.message.trim();
    const plain = /wrong version number|packet length too long|http request/i.test(reason) ? '; the server does not speak TLS on this port (use ws:// or http://)' : '';
    return { code: 'tls', detail: `TLS handshake failed: ${reason} (${code})${plain}`, retry: false, cause: err };
  }
  const detail = code === 'ECONNRESET' ? 'the connection was closed during the WebSocket handshake (ECONNRESET)' : `${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`;
  return { code: 'network', detail, retry: 'transport', cause: err };
}

/** Classifies an HTTP answer to the upgrade request. 5xx, 408 and 429 may pass (a restart, a busy balancer). */
export function httpFailure(status: number, statusText: string | undefined): Failure {
  const what = `the server refused the WebSocket upgrade with HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  const hint = status === 404 ? " (Arbiter's agent endpoint is /ws)" : '';
  const code: ArbiterConnectErrorCode = status === 401 || status === 403 ? 'auth' : 'http_status';
  return { code, detail: what + hint, retry: status >= 500 || status === 408 || status === 429 ? 'server' : false, status };
}

/** A connection that opened and then closed before `login_ok`. */
export function closeFailure(code: number, reason: string): Failure {
  const known = CLOSE_CAUSE[code];
  const said = reason ? `: ${reason}` : '';
  if (known === 'auth') return { code: known, detail: `the API key was refused (close ${code}${said})`, retry: false, closeCode: code };
  if (known === 'session_in_use') return { code: known, detail: `the session is in use by another connection (close ${code}${said})`, retry: false, closeCode: code };
  if (known === 'protocol') return { code: known, detail: `the server refused the login (close ${code}${said})`, retry: false, closeCode: code };
  // 1012 (restarting), 1013 (overloaded), 4408 (login too slow): the server asks for later. 1006: dropped on the way.
  const later = code === 1012 || code === 1013 || code === 4408;
  return { code: 'network', detail: `the connection closed before login (close ${code}${said})`, retry: later ? 'server' : 'transport', closeCode: code };
}

/** The URL as shown in messages: no credentials, no query. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
