import { Anchor, Badge, Group, Paper, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { Me } from '../auth/session';
import { JsonBlock } from '../reviews/JsonBlock';
import { useUserNames } from '../reviews/reviews';
import { type SessionEvent, type SessionReview, verdictState } from './sessions';

const DECISION_COLOR: Record<string, string> = { allow: 'teal.9', block: 'red.9' };
const ACK_TEXT = { acked: 'acked by the agent', discarded: 'discarded by the agent (arrived too late, not acted on)', unacked: 'not acked yet' } as const;

interface Props {
  events: SessionEvent[];
  reviews?: Map<string, SessionReview>;
  me: Me;
  /** The event to mark (the review page's own). */
  highlight?: string;
  label?: string;
}

/** A session's events in order: what the agent asked, what the rules said, the verdict and whether the agent acked it. */
export function Timeline({ events, reviews, me, highlight, label = 'Transcript' }: Props) {
  const names = useUserNames(me).data;
  if (events.length === 0) return <Text size="sm">No events in this session yet.</Text>;
  return (
    <Stack component="ol" gap="xs" p={0} m={0} aria-label={label} style={{ listStyle: 'none' }}>
      {events.map((e) => {
        const review = e.review ? reviews?.get(e.review.id) : undefined;
        const marked = e.event_id === highlight;
        return (
          <Paper component="li" key={e.event_id} withBorder p="sm" radius="md" bg={marked ? 'indigo.0' : undefined} aria-current={marked ? 'true' : undefined}>
            <Stack gap={6}>
              <Group justify="space-between" gap="xs" wrap="wrap">
                <Text fw={700} ff="monospace" style={{ overflowWrap: 'anywhere' }}>
                  {e.tool ?? `${e.kind} call`}
                </Text>
                <Text size="sm" c="dark.6">
                  {new Date(e.created_at).toLocaleString()} · rules said <b>{e.rule_action}</b>
                </Text>
              </Group>
              <JsonBlock value={e.input} label={`Input of ${e.tool ?? e.kind} (${e.event_id})`} />
              <Group gap="xs" wrap="wrap">
                {e.verdict ? (
                  <>
                    <Badge color={DECISION_COLOR[e.verdict.decision]} variant="filled">
                      {e.verdict.decision}
                    </Badge>
                    <Text size="sm">
                      from {e.verdict.source}
                      {e.verdict.edited ? ' with an edited input' : ''}: {e.verdict.reason} · <b>{ACK_TEXT[verdictState(e.verdict)]}</b>
                    </Text>
                  </>
                ) : (
                  <Text size="sm">{e.review?.status === 'withdrawn' ? 'No verdict: the agent withdrew the action.' : 'Waiting for a verdict.'}</Text>
                )}
              </Group>
              {e.verdict?.edited && <JsonBlock value={e.verdict.edited_input} label={`Edited input the reviewer approved for ${e.event_id}`} />}
              {e.review && <ReviewLine id={e.review.id} status={e.review.status} review={review} me={me} names={names} />}
            </Stack>
          </Paper>
        );
      })}
    </Stack>
  );
}

function ReviewLine({ id, status, review, me, names }: { id: string; status: string; review?: SessionReview; me: Me; names?: Map<string, string> }) {
  const who = !review?.decided_by ? null : review.decided_by === me.id ? 'you' : (names?.get(review.decided_by) ?? 'another reviewer');
  const text =
    status === 'pending'
      ? 'waiting for a reviewer'
      : status === 'expired'
        ? 'expired: nobody decided in time'
        : status === 'withdrawn'
          ? 'withdrawn by the agent'
          : `${status}${who ? ` by ${who}` : ''}${review?.note ? `: “${review.note}”` : ''}`;
  return (
    <Text size="sm">
      <Anchor component={Link} to={`/reviews/${id}`}>
        Review
      </Anchor>{' '}
      {text}
    </Text>
  );
}
