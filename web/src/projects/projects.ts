import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type Schemas, api, unwrap } from '../api/client';

export type Project = Schemas['ProjectView'];
// Every field may be left out (the document marks those with a server-side default as required).
export type ProjectSettings = Partial<Schemas['UpdateProjectDto']>;
export type NewProject = Partial<Schemas['CreateProjectDto']> & { name: string };
export type Policy = Schemas['PolicyView'];
export type DraftRule = Schemas['PolicyRuleDto'];
export type DryRunSample = Schemas['DryRunSampleDto'];
export type DryRunResult = Schemas['DryRunResult'];
export type PolicyChange = Schemas['PolicyChangeView'];

const listKey = ['projects', 'list'] as const;
const detailKey = (id: string) => ['projects', 'detail', id] as const;
const rulesKey = (id: string) => ['projects', 'rules', id] as const;
const historyKey = (id: string) => ['projects', 'rules-history', id] as const;

/** Every project, newest first. */
export function useProjects() {
  return useQuery({
    queryKey: listKey,
    queryFn: async () => {
      const all: Project[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(api.GET('/api/projects', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
        all.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return all;
    },
  });
}

export function useProject(id: string) {
  return useQuery({ queryKey: detailKey(id), queryFn: () => unwrap(api.GET('/api/projects/{id}', { params: { path: { id } } })) });
}

/** A project changed (settings, pause): the list and the names other pages show are read again. */
function useProjectChanged() {
  const client = useQueryClient();
  return (project: Project) => {
    client.setQueryData(detailKey(project.id), project);
    void client.invalidateQueries({ queryKey: listKey });
    void client.invalidateQueries({ queryKey: ['projects', 'names'] });
  };
}

export function useCreateProject() {
  const changed = useProjectChanged();
  return useMutation({
    mutationFn: (body: NewProject) => unwrap(api.POST('/api/projects', { body: body as Schemas['CreateProjectDto'] })),
    onSuccess: changed,
  });
}

export function useUpdateProject(id: string) {
  const changed = useProjectChanged();
  return useMutation({
    mutationFn: (body: ProjectSettings) => unwrap(api.PATCH('/api/projects/{id}', { params: { path: { id } }, body: body as Schemas['UpdateProjectDto'] })),
    onSuccess: changed,
  });
}

export function usePauseProject(id: string) {
  const changed = useProjectChanged();
  return useMutation({
    mutationFn: (reason: string) => unwrap(api.POST('/api/projects/{id}/pause', { params: { path: { id } }, body: reason.trim() ? { reason: reason.trim() } : {} })),
    onSuccess: changed,
  });
}

export function useResumeProject(id: string) {
  const changed = useProjectChanged();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/projects/{id}/resume', { params: { path: { id } } })),
    onSuccess: changed,
  });
}

export function useRules(id: string) {
  return useQuery({ queryKey: rulesKey(id), queryFn: () => unwrap(api.GET('/api/projects/{id}/rules', { params: { path: { id } } })) });
}

export function useSaveRules(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas['PutPolicyDto']) => unwrap(api.PUT('/api/projects/{id}/rules', { params: { path: { id } }, body })),
    onSuccess: (policy) => {
      client.setQueryData(rulesKey(id), policy);
      void client.invalidateQueries({ queryKey: historyKey(id) });
    },
  });
}

export function useDryRun(id: string) {
  return useMutation({
    mutationFn: (body: Schemas['DryRunDto']) => unwrap(api.POST('/api/projects/{id}/rules/dry-run', { params: { path: { id } }, body })),
  });
}

export function useRulesHistory(id: string) {
  return useQuery({ queryKey: historyKey(id), queryFn: () => unwrap(api.GET('/api/projects/{id}/rules/history', { params: { path: { id } } })) });
}

/**
 * The server's 400 names each bad field (`rules[2].input_pattern: not a valid pattern: …; rules[0].tool: …`): the
 * messages by rule index and field, and whatever names no rule.
 */
export function ruleErrors(message: string): { byRule: Map<number, Map<string, string>>; other: string[] } {
  const byRule = new Map<number, Map<string, string>>();
  const other: string[] = [];
  // Split before each field name the message starts a part with; a pattern's own message may hold "; ".
  for (const part of message.split(/; (?=(?:rules\[\d+\]\.)?[a-z_]+(?:\.[a-z_]+)*: )/)) {
    const m = /^rules\[(\d+)\]\.([a-z_]+): (.*)$/s.exec(part);
    if (!m) {
      other.push(part);
      continue;
    }
    const index = Number(m[1]);
    if (!byRule.has(index)) byRule.set(index, new Map());
    byRule.get(index)!.set(m[2], m[3]);
  }
  return { byRule, other };
}
