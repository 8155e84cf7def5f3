import { Alert, Anchor, Badge, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useOutletContext, useParams } from 'react-router';
import { ApiError, api, unwrap } from '../api/client';
import type { Me } from '../auth/session';
import { useProjectNames } from '../reviews/reviews';
import { SharesPanel } from '../shares/SharesPanel';
import { useSessionDetail, useSessionFeed, useSessionReviews } from './sessions';
import { Timeline } from './Timeline';
import { ToolInventory } from './ToolInventory';

/** One session's transcript, growing while the agent works, and its share links. */
export function SessionPage() {
  const { id = '' } = useParams();
  const me = useOutletContext<Me>();
  useSessionFeed();
  const detail = useSessionDetail(id);
  const reviews = useSessionReviews(id);
  const projects = useProjectNames();
  const session = detail.data;
  const project = useQuery({
    queryKey: ['projects', 'one', session?.project_id ?? ''],
    enabled: !!session,
    queryFn: () => unwrap(api.GET('/api/projects/{id}', { params: { path: { id: session!.project_id } } })),
    staleTime: 60_000,
  });

  useEffect(() => {
    if (session) document.title = `Session ${session.external_id} · Arbiter`;
    return () => {
      document.title = 'Arbiter';
    };
  }, [session]);

  return (
    <Stack maw={1100} mx="auto" gap="md">
      <Anchor component={Link} to="/sessions" size="sm">
        ← All sessions
      </Anchor>
      <Title order={1} style={{ overflowWrap: 'anywhere' }}>
        Session {session?.external_id ?? ''}
      </Title>
      {detail.isPending && <Loader aria-label="Loading the session" />}
      {detail.isError && (
        <Alert color="red" variant="outline" role="alert" title={detail.error instanceof ApiError && detail.error.status === 404 ? 'No such session' : 'Could not load the session'}>
          {detail.error.message}
        </Alert>
      )}
      {session && (
        <>
          <Group gap="sm" wrap="wrap">
            <Badge variant="dot" color={session.connected ? 'teal.8' : 'gray.7'} c="dark.8">
              {session.connected ? 'Live' : 'Ended'}
            </Badge>
            <Text size="sm" c="dark.6">
              <b>{projects.data?.get(session.project_id) ?? 'project'}</b>
              {session.agent_id ? ` · agent ${session.agent_id}` : ''}
              {session.source ? ` · from ${session.source}` : ''} · started {new Date(session.created_at).toLocaleString()}
            </Text>
          </Group>
          <Stack gap="xs" component="section" aria-labelledby="transcript-title">
            <Title order={2} size="h3" id="transcript-title">
              Transcript
            </Title>
            <Text size="sm" c="dark.6">
              The latest {session.events.length} events, oldest first{session.connected ? '; new ones appear as the agent works' : ''}.
            </Text>
            <Timeline events={session.events} reviews={reviews.data} me={me} />
          </Stack>
          <ToolInventory inventory={session.inventory} />
          <SharesPanel sessionId={session.id} me={me} redactKeys={project.data?.redact_keys} />
        </>
      )}
    </Stack>
  );
}
