import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];

/**
 * The one API client: typed from Arbiter's OpenAPI document (schema.d.ts, `npm run web:api`). The session is the
 * HttpOnly cookie the sign-in sets; X-Requested-With is the CSRF header the API asks of cookie-authenticated writes.
 */
export const api = createClient<paths>({
  baseUrl: '',
  credentials: 'same-origin',
  headers: { 'X-Requested-With': 'arbiter-dashboard' },
});

/** An error in the API's one shape, `{"error":{"code","message","details"}}`, with the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: Record<string, unknown> };
}

/** The answer's data, or an ApiError; the app's listeners hear about signed-out and must-change-password answers. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const body = (error ?? {}) as ErrorBody;
  const failure = new ApiError(response.status, body.error?.code ?? 'http_' + response.status, body.error?.message ?? response.statusText, body.error?.details);
  for (const listener of listeners) listener(failure);
  throw failure;
}

const listeners = new Set<(error: ApiError) => void>();

/** Hears every failed API call (the session watches for 401 and password_change_required). */
export function onApiError(listener: (error: ApiError) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
