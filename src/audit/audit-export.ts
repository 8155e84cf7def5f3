import type { Response } from 'express';
import { csvLine } from './audit-csv.js';
import type { AuditEntryView } from './dto/audit.dto.js';

export type AuditExportFormat = 'csv' | 'jsonl';

const CSV_COLUMNS = ['id', 'at', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'request_id', 'details'] as const;

export const EXPORT_MEDIA_TYPES: Record<AuditExportFormat, string> = { csv: 'text/csv', jsonl: 'application/x-ndjson' };

function csvRow(entry: AuditEntryView): string {
  return csvLine([entry.id, entry.at, entry.actor_type, entry.actor_id, entry.action, entry.target_type, entry.target_id, entry.request_id, JSON.stringify(entry.details)]);
}

/** Resolves when the response can take more, or is gone; leaves no listener behind either way. */
function drainedOrClosed(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Streams the batches to the response as they are read, waiting for the client to drain each write before asking
 * for the next batch (so a slow download holds one batch, never the table). A client that goes away stops the
 * reading; a failure after the headers went out cuts the connection, so a partial file never looks complete.
 */
export async function streamAuditExport(res: Response, batches: AsyncGenerator<AuditEntryView[]>, format: AuditExportFormat): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  res.status(200);
  res.setHeader('content-type', `${EXPORT_MEDIA_TYPES[format]}; charset=utf-8`);
  res.setHeader('content-disposition', `attachment; filename="arbiter-audit-${stamp}.${format}"`);
  res.setHeader('cache-control', 'no-store');
  let closed = false;
  res.on('close', () => (closed = true));
  try {
    if (format === 'csv') res.write(csvLine([...CSV_COLUMNS]));
    for await (const batch of batches) {
      if (closed) break;
      const text = format === 'csv' ? batch.map(csvRow).join('') : batch.map((e) => `${JSON.stringify(e)}\n`).join('');
      if (!res.write(text)) await drainedOrClosed(res);
    }
    if (closed) await batches.return(undefined);
    else res.end();
  } catch (err) {
    res.destroy(err as Error);
  }
}
