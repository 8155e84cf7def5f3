import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type Schemas, api, unwrap } from '../api/client';

export type Overview = Schemas['OverviewView'];
export type OverviewRange = Overview['range'];

/** The overview's aggregates for a window and optionally one project (the server computes them all in SQL). */
export function useOverview(range: OverviewRange, project: string) {
  return useQuery({
    queryKey: ['overview', range, project],
    queryFn: () => unwrap(api.GET('/api/overview', { params: { query: { range, ...(project ? { project } : {}) } } })),
    placeholderData: keepPreviousData,
    // Numbers over a moving window: read them again whenever the page is opened or the filters change.
    staleTime: 0,
  });
}
