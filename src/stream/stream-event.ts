import { notifyChannel } from '../infra/notify/notify-channel.js';

/** What the dashboard feed (`GET /api/stream`) carries. */
export const STREAM_EVENT_TYPES = [
  'review.created',
  'review.decided',
  'review.expired',
  'review.extended',
  'review.withdrawn',
  'session.connected',
  'session.disconnected',
] as const;
export type StreamEventType = (typeof STREAM_EVENT_TYPES)[number];

export interface NewStreamEvent {
  projectId: string;
  type: StreamEventType;
  payload: Record<string, unknown>;
}

/** A stream_events row: `id` is the SSE `id:` and the Last-Event-ID a client resumes from. */
export interface StreamEventRow {
  id: bigint;
  project_id: string;
  type: string;
  payload: unknown;
  created_at: Date;
}

/** Rows were appended to stream_events: every instance reads what is new and sends it to its SSE clients. */
export const streamAppendedChannel = notifyChannel<Record<string, never>>('arbiter_stream_appended');

/** One event in text/event-stream framing. The payload is JSON, so it never contains a raw newline. */
export function formatSseEvent(row: StreamEventRow): string {
  const data = { id: row.id.toString(), type: row.type, project_id: row.project_id, at: row.created_at.toISOString(), data: row.payload };
  return `id: ${row.id}\nevent: ${row.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** `Last-Event-ID` as a row id, or undefined when absent or not one of ours. */
export function parseLastEventId(value: unknown): bigint | undefined {
  if (typeof value !== 'string' || !/^\d{1,18}$/.test(value.trim())) return undefined;
  return BigInt(value.trim());
}
