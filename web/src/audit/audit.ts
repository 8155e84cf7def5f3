import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type Schemas, api, unwrap } from '../api/client';

export type AuditEntry = Schemas['AuditEntryView'];

/** The list's and the export's filters, as the API names them (times are ISO-8601). */
export interface AuditFilters {
  actor?: string;
  action?: string;
  project?: string;
  since?: string;
  until?: string;
}

const PAGE = 50;

/** One page of the audit log under the filters, from `cursor` (undefined: the newest). */
export function useAuditPage(filters: AuditFilters, cursor: string | undefined) {
  return useQuery({
    queryKey: ['audit', filters, cursor ?? null],
    queryFn: () => unwrap(api.GET('/api/audit', { params: { query: { ...filters, limit: PAGE, ...(cursor ? { cursor } : {}) } } })),
    placeholderData: keepPreviousData,
    // The log only grows: read it again when the page is opened or the filters change, not on a timer.
    staleTime: 0,
  });
}

/** Where the browser downloads the whole filtered log (the server streams it; the session cookie signs the GET). */
export function exportUrl(format: 'csv' | 'jsonl', filters: AuditFilters): string {
  const query = new URLSearchParams({ format });
  for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
  return `/api/audit/export?${query.toString()}`;
}
