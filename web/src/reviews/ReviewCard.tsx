import { Anchor, Badge, Button, Group, Loader, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { forwardRef, useId } from 'react';
import { Link } from 'react-router';
import { type Review, type ReviewDetail, EXTEND_SECONDS, useReviewDetail } from './reviews';
import { JsonBlock } from './JsonBlock';
import { formatAgo, formatLeft, useNow } from './time';

interface Props {
  review: Review;
  projectName?: string;
  selected?: boolean;
  canDecide: boolean;
  busy?: boolean;
  /** The review page shows the session's recent events too. */
  withHistory?: boolean;
  onApprove(): void;
  onDeny(): void;
  onExtend(): void;
  onFocus?(): void;
}

const STATUS_COLOR: Record<string, string> = { pending: 'indigo.8', approved: 'teal.9', denied: 'red.9', expired: 'gray.8' };

/** One review: what the agent wants to do, why it was held, how long is left, and the decision buttons. */
export const ReviewCard = forwardRef<HTMLElement, Props>(function ReviewCard(props, ref) {
  const { review, projectName, selected, canDecide, busy, withHistory, onApprove, onDeny, onExtend, onFocus } = props;
  const detail = useReviewDetail(review.id);
  const now = useNow();
  const titleId = useId();
  const left = Date.parse(review.expires_at) - now;
  const pending = review.status === 'pending';
  const d = detail.data;

  return (
    <Paper
      ref={ref}
      component="article"
      aria-labelledby={titleId}
      className="review-card"
      data-selected={selected ? 'true' : 'false'}
      tabIndex={-1}
      withBorder
      shadow="xs"
      p="md"
      radius="md"
      onFocus={onFocus}
      onClick={onFocus}
    >
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
          <Stack gap={2} style={{ minWidth: 0 }}>
            <Title order={2} size="h4" id={titleId} style={{ overflowWrap: 'anywhere' }}>
              <Anchor component={Link} to={`/reviews/${review.id}`} c="dark.9" underline="hover" ff="monospace" fw={700}>
                {review.tool ?? `${review.kind} call`}
              </Anchor>
            </Title>
            <Text size="sm" c="dark.6">
              <b>{projectName ?? 'project'}</b> · session <b>{review.session_external_id}</b>
              {d?.event.agent_id ? (
                <>
                  {' '}
                  · agent <b>{d.event.agent_id}</b>
                </>
              ) : null}{' '}
              · held {formatAgo(review.created_at, now)}
            </Text>
          </Stack>
          <Group gap="xs">
            {d && (
              <Badge variant="outline" color={d.agent_connected ? 'teal.9' : 'gray.8'}>
                {d.agent_connected ? 'Agent connected' : 'Agent offline'}
              </Badge>
            )}
            {pending ? (
              <Badge variant="filled" color={left < 60_000 ? 'red.9' : 'indigo.8'} size="lg" role="timer" aria-label={`${formatLeft(left)} left`}>
                {formatLeft(left)} left
              </Badge>
            ) : (
              <Badge variant="filled" color={STATUS_COLOR[review.status]} size="lg">
                {review.status}
              </Badge>
            )}
          </Group>
        </Group>

        <Text size="sm">
          <Text span fw={600}>
            Held by rule:
          </Text>{' '}
          {review.reason ?? 'the project’s default action'}
          {d?.rule ? <RuleSummary rule={d.rule as Record<string, unknown>} /> : null}
          {'. '}
          If nobody decides, the agent gets <b>{review.timeout_decision}</b>.
        </Text>

        {d ? <JsonBlock value={d.event.input} label={`Input of ${review.tool ?? review.kind}`} /> : detail.isError ? <Text c="red.9">Could not load the input: {detail.error.message}</Text> : <Loader size="sm" aria-label="Loading the input" />}

        {!pending && <Outcome review={review} />}

        {pending && canDecide && (
          <Group gap="xs">
            <Button color="teal.9" onClick={onApprove} disabled={busy}>
              Approve
            </Button>
            <Button color="red.9" onClick={onDeny} disabled={busy}>
              Deny
            </Button>
            <Button variant="default" onClick={onExtend} disabled={busy} title={`Give it ${EXTEND_SECONDS / 60} more minutes`}>
              Extend
            </Button>
          </Group>
        )}
        {pending && !canDecide && <Text size="sm">Viewers can look but not decide.</Text>}

        {withHistory && d && <History events={d.recent_events} />}
      </Stack>
    </Paper>
  );
});

function RuleSummary({ rule }: { rule: Record<string, unknown> }) {
  const parts = [rule.kind, rule.tool, rule.input_pattern ? `/${String(rule.input_pattern)}/` : null].filter(Boolean).map(String);
  return parts.length ? <Text span c="dark.6">{` (${parts.join(' ')})`}</Text> : null;
}

function Outcome({ review }: { review: Review }) {
  if (!review.verdict) return null;
  return (
    <Text size="sm">
      Verdict <b>{review.verdict.decision}</b> from {review.verdict.source === 'timeout' ? 'the timeout' : 'a reviewer'}
      {review.decided_at ? ` at ${new Date(review.decided_at).toLocaleString()}` : ''}
      {review.note ? `: “${review.note}”` : ''}
    </Text>
  );
}

function History({ events }: { events: ReviewDetail['recent_events'] }) {
  if (events.length === 0) return <Text size="sm">No earlier events in this session.</Text>;
  return (
    <Stack gap={4}>
      <Title order={3} size="h5">
        Earlier in this session
      </Title>
      {/* Scrolls sideways on a phone: focusable and named, so a keyboard can scroll it too. */}
      <Table.ScrollContainer minWidth={420} type="native" tabIndex={0} role="region" aria-label="Earlier events in this session">
        <Table striped withTableBorder fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Tool</Table.Th>
              <Table.Th>Rules said</Table.Th>
              <Table.Th>Verdict</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {events.map((e) => (
              <Table.Tr key={e.event_id}>
                <Table.Td>{new Date(e.created_at).toLocaleTimeString()}</Table.Td>
                <Table.Td>{e.tool ?? e.kind}</Table.Td>
                <Table.Td>{e.rule_action}</Table.Td>
                <Table.Td>{e.decision ? `${e.decision} (${e.source})` : 'waiting'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
