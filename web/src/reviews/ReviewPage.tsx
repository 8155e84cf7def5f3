import { Alert, Anchor, Loader, Stack, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { Link, useOutletContext, useParams } from 'react-router';
import { ApiError } from '../api/client';
import type { Me } from '../auth/session';
import { useSessionDetail, useSessionFeed, useSessionReviews } from '../sessions/sessions';
import { Timeline } from '../sessions/Timeline';
import { canDecide, useReviewActions } from './actions';
import { ReviewCard } from './ReviewCard';
import { reviewName, useProjectNames, useReviewDetail } from './reviews';
import { SettledLog } from './SettledLog';

/** One review alone (where a webhook's review_url points), with the session's transcript around it. */
export function ReviewPage() {
  const { id = '' } = useParams();
  const me = useOutletContext<Me>();
  const detail = useReviewDetail(id);
  const projects = useProjectNames();
  const actions = useReviewActions(me);
  const review = detail.data;
  useSessionFeed();
  const session = useSessionDetail(review?.session_id);
  const sessionReviews = useSessionReviews(review?.session_id);

  useEffect(() => {
    if (review) document.title = `${reviewName(review)} · Arbiter`;
  }, [review]);

  return (
    <Stack maw={980} mx="auto" gap="md">
      <Anchor component={Link} to="/reviews" size="sm">
        ← All pending reviews
      </Anchor>
      <Title order={1}>Review</Title>
      <SettledLog />
      {detail.isPending && <Loader aria-label="Loading the review" />}
      {detail.isError && (
        <Alert color="red" variant="outline" role="alert" title={detail.error instanceof ApiError && detail.error.status === 404 ? 'No such review' : 'Could not load the review'}>
          {detail.error.message}
        </Alert>
      )}
      {review && (
        <ReviewCard
          review={review}
          projectName={projects.data?.get(review.project_id)}
          canDecide={canDecide(me)}
          busy={actions.busy(review)}
          onEdit={() => actions.edit(review)}
          onApprove={() => actions.approve(review)}
          onDeny={() => actions.deny(review)}
          onExtend={() => actions.extend(review)}
        />
      )}
      {review && session.data && (
        <Stack gap="xs" component="section" aria-labelledby="review-transcript-title">
          <Title order={2} size="h3" id="review-transcript-title">
            Session transcript
          </Title>
          <Text size="sm">
            What session{' '}
            <Anchor component={Link} to={`/sessions/${review.session_id}`}>
              {review.session_external_id}
            </Anchor>{' '}
            did, this review’s event marked{session.data.connected ? '; it grows as the agent works' : ''}.
          </Text>
          <Timeline events={session.data.events} reviews={sessionReviews.data} me={me} highlight={review.event_id} label="Session transcript" />
        </Stack>
      )}
      {actions.dialogs}
    </Stack>
  );
}
