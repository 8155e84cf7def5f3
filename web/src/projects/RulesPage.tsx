import { Alert, Anchor, Button, Group, Loader, NativeSelect, Paper, Stack, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link, useOutletContext, useParams } from 'react-router';
import { ApiError } from '../api/client';
import type { Me } from '../auth/session';
import { DryRunPanel } from './DryRunPanel';
import { type EditableRule, draftRules, editableRules, emptyRule, moved } from './draft';
import { type Policy, ruleErrors, useDryRun, useProject, useRules, useSaveRules } from './projects';
import { RuleFields } from './RuleFields';
import { RulesHistory } from './RulesHistory';

/** A project's rules: edited as a draft, dry-run, saved at once; and their history. */
export function RulesPage() {
  const { id = '' } = useParams();
  const project = useProject(id);
  const policy = useRules(id);

  useEffect(() => {
    if (project.data) document.title = `Rules of ${project.data.name} · Arbiter`;
    return () => {
      document.title = 'Arbiter';
    };
  }, [project.data]);

  if (policy.isPending || project.isPending) return <Loader aria-label="Loading the rules" />;
  if (policy.isError || project.isError) {
    return (
      <Alert color="red" variant="outline" role="alert" title="Could not load the rules">
        {(policy.error ?? project.error)?.message}
      </Alert>
    );
  }
  return (
    <Stack maw={1100} mx="auto" gap="md">
      <Anchor component={Link} to={`/projects/${id}`} size="sm">
        ← {project.data.name}
      </Anchor>
      <Title order={1} style={{ overflowWrap: 'anywhere' }}>
        Rules of {project.data.name}
      </Title>
      <RulesEditor key={policy.data.updated_at} projectId={id} policy={policy.data} />
    </Stack>
  );
}

function RulesEditor({ projectId, policy }: { projectId: string; policy: Policy }) {
  const me = useOutletContext<Me>();
  const canChange = me.role === 'admin';
  const save = useSaveRules(projectId);
  const dryRun = useDryRun(projectId);
  const [rules, setRules] = useState<EditableRule[]>(() => editableRules(policy));
  const [defaultAction, setDefaultAction] = useState(policy.default_action);
  const [errors, setErrors] = useState<ReturnType<typeof ruleErrors> | null>(null);
  const [announcement, setAnnouncement] = useState('');

  const edited = (next: EditableRule[]) => {
    setRules(next);
    setErrors(null);
    dryRun.reset();
  };
  const refused = (err: Error) => {
    if (err instanceof ApiError && err.status === 400) setErrors(ruleErrors(err.message));
  };
  const body = () => ({ default_action: defaultAction as Policy['default_action'], rules: draftRules(rules) });

  return (
    <>
      <Paper withBorder p="md" component="section" aria-labelledby="rules-title">
        <Title order={2} size="h4" id="rules-title" mb="xs">
          Rules
        </Title>
        <Text size="sm" mb="sm">
          The first rule that matches decides; a rule matches when every field it sets matches. Nothing is saved until you save.
        </Text>
        <Stack gap="sm">
          {rules.length === 0 && <Text size="sm">No rules: every event gets the default action.</Text>}
          {rules.map((rule, index) => (
            <RuleFields
              key={rule.key}
              rule={rule}
              index={index}
              count={rules.length}
              errors={errors?.byRule.get(index)}
              disabled={!canChange}
              onChange={(next) => edited(rules.map((r) => (r.key === rule.key ? next : r)))}
              onMove={(to) => {
                edited(moved(rules, index, to));
                setAnnouncement(`Rule ${index + 1} moved to position ${to + 1}.`);
                // Keep the focus on the moved rule's button of the same direction.
                requestAnimationFrame(() => document.querySelector<HTMLButtonElement>(`[aria-label="Move rule ${to + 1} ${to < index ? 'up' : 'down'}"]`)?.focus());
              }}
              onDelete={() => {
                edited(rules.filter((r) => r.key !== rule.key));
                setAnnouncement(`Rule ${index + 1} deleted.`);
              }}
            />
          ))}
          <NativeSelect
            label="Default action (no rule matches)"
            value={defaultAction}
            disabled={!canChange}
            onChange={(e) => {
              setDefaultAction(e.currentTarget.value as Policy['default_action']);
              dryRun.reset();
            }}
            data={[
              { label: 'Allow', value: 'allow' },
              { label: 'Review', value: 'review' },
              { label: 'Block', value: 'block' },
            ]}
            maw={320}
          />
          {canChange && (
            <Group gap="sm">
              <Button variant="default" onClick={() => edited([...rules, emptyRule()])}>
                Add rule
              </Button>
              <Button onClick={() => save.mutate(body(), { onError: refused, onSuccess: () => setAnnouncement('Rules saved.') })} loading={save.isPending}>
                Save rules
              </Button>
            </Group>
          )}
          {errors && errors.other.length > 0 && (
            <Alert color="red" variant="outline" role="alert">
              {errors.other.join('; ')}
            </Alert>
          )}
          {errors && errors.byRule.size > 0 && (
            <Alert color="red" variant="outline" role="alert">
              {[...errors.byRule.keys()].map((i) => `Rule ${i + 1} has an error.`).join(' ')}
            </Alert>
          )}
          {save.isError && !(save.error instanceof ApiError && save.error.status === 400) && (
            <Alert color="red" variant="outline" role="alert">
              {save.error.message}
            </Alert>
          )}
          <Text size="sm" aria-live="polite">
            {announcement}
          </Text>
        </Stack>
      </Paper>
      {canChange && (
        <DryRunPanel
          running={dryRun.isPending}
          result={dryRun.data}
          error={dryRun.error instanceof ApiError && dryRun.error.status !== 400 ? dryRun.error : null}
          onRun={(sample) => dryRun.mutate({ ...body(), ...(sample ? { sample } : {}) }, { onError: refused })}
        />
      )}
      {canChange && <RulesHistory projectId={projectId} />}
    </>
  );
}
