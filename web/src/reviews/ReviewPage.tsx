import { Alert, Anchor, Loader, Stack, Title } from '@mantine/core';
import { useEffect } from 'react';
import { Link, useOutletContext, useParams } from 'react-router';
import { ApiError } from '../api/client';
import type { Me } from '../auth/session';
import { canDecide, useReviewActions } from './actions';
import { ReviewCard } from './ReviewCard';
import { reviewName, useProjectNames, useReviewDetail } from './reviews';
import { SettledLog } from './SettledLog';

/** One review alone (where a webhook's review_url points), with the session's recent events. */
export function ReviewPage() {
  const { id = '' } = useParams();
  const me = useOutletContext<Me>();
  const detail = useReviewDetail(id);
  const projects = useProjectNames();
  const actions = useReviewActions(me);
  const review = detail.data;

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
          withHistory
          onApprove={() => actions.approve(review)}
          onDeny={() => actions.deny(review)}
          onExtend={() => actions.extend(review)}
        />
      )}
      {actions.dialogs}
    </Stack>
  );
}
