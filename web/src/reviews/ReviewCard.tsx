import { Anchor, Badge, Button, Checkbox, Group, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { forwardRef, useId } from 'react';
import { Link } from 'react-router';
import { type Review, EXTEND_SECONDS, useReviewDetail } from './reviews';
import { JsonBlock } from './JsonBlock';
import { formatAgo, formatLeft, useNow } from './time';

interface Props {
  review: Review;
  projectName?: string;
  selected?: boolean;
  canDecide: boolean;
  busy?: boolean;
  /** In the inbox, a card can be picked for a bulk decision. */
  picked?: boolean;
  onPick?(picked: boolean): void;
  onApprove(): void;
  onEdit?(): void;
  onDeny(): void;
  onExtend(): void;
  onFocus?(): void;
}

const STATUS_COLOR: Record<string, string> = { pending: 'indigo.8', approved: 'teal.9', denied: 'red.9', expired: 'gray.8', withdrawn: 'gray.8' };

/** One review: what the agent wants to do, why it was held, how long is left, and the decision buttons. */
export const ReviewCard = forwardRef<HTMLElement, Props>(function ReviewCard(props, ref) {
  const { review, projectName, selected, canDecide, busy, picked, onPick, onApprove, onEdit, onDeny, onExtend, onFocus } = props;
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
          <Group gap="sm" align="flex-start" wrap="nowrap" style={{ minWidth: 0 }}>
          {onPick && pending && canDecide && (
            <Checkbox mt={6} aria-label={`Select ${review.tool ?? review.kind} (session ${review.session_external_id}) for a bulk decision`} checked={!!picked} onChange={(e) => onPick(e.currentTarget.checked)} onClick={(e) => e.stopPropagation()} />
          )}
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
          </Group>
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
            {onEdit && (d?.allow_edits ?? review.allow_edits) && (
              <Button variant="outline" color="teal.9" onClick={onEdit} disabled={busy} title="Change the input, then approve it">
                Edit & approve
              </Button>
            )}
            <Button color="red.9" onClick={onDeny} disabled={busy}>
              Deny
            </Button>
            <Button variant="default" onClick={onExtend} disabled={busy} title={`Give it ${EXTEND_SECONDS / 60} more minutes`}>
              Extend
            </Button>
          </Group>
        )}
        {pending && !canDecide && <Text size="sm">Viewers can look but not decide.</Text>}
      </Stack>
    </Paper>
  );
});

function RuleSummary({ rule }: { rule: Record<string, unknown> }) {
  const parts = [rule.kind, rule.tool, rule.input_pattern ? `/${String(rule.input_pattern)}/` : null].filter(Boolean).map(String);
  return parts.length ? <Text span c="dark.6">{` (${parts.join(' ')})`}</Text> : null;
}

function Outcome({ review }: { review: Review }) {
  if (review.status === 'withdrawn') return <Text size="sm">The agent withdrew this action: no verdict was sent.</Text>;
  if (!review.verdict) return null;
  const edited = review.edited ? review.edited_input : null;
  return (
    <Stack gap={4}>
      <Text size="sm">
        Verdict <b>{review.verdict.decision}</b> from {review.verdict.source === 'timeout' ? 'the timeout' : 'a reviewer'}
        {review.edited ? ' with an edited input' : ''}
        {review.decided_at ? ` at ${new Date(review.decided_at).toLocaleString()}` : ''}
        {review.note ? `: “${review.note}”` : ''}
      </Text>
      {review.edited && <JsonBlock value={edited} label="The input as the reviewer edited it" />}
    </Stack>
  );
}
