import { ActionIcon, Fieldset, Group, NativeSelect, SimpleGrid, TextInput, Tooltip } from '@mantine/core';
import type { KeyboardEvent } from 'react';
import type { EditableRule } from './draft';

interface Props {
  rule: EditableRule;
  index: number;
  count: number;
  errors: Map<string, string> | undefined;
  disabled: boolean;
  onChange: (rule: EditableRule) => void;
  onMove: (to: number) => void;
  onDelete: () => void;
}

/** One rule of the editor. Alt+↑ / Alt+↓ anywhere in it moves it, as its Move buttons do. */
export function RuleFields({ rule, index, count, errors, disabled, onChange, onMove, onDelete }: Props) {
  const n = index + 1;
  const set = <K extends keyof EditableRule>(field: K, value: EditableRule[K]) => onChange({ ...rule, [field]: value });
  const onKeyDown = (e: KeyboardEvent) => {
    if (disabled || !e.altKey) return;
    if (e.key === 'ArrowUp' && index > 0) {
      e.preventDefault();
      onMove(index - 1);
    } else if (e.key === 'ArrowDown' && index < count - 1) {
      e.preventDefault();
      onMove(index + 1);
    }
  };

  return (
    <Fieldset legend={`Rule ${n}`} onKeyDown={onKeyDown} data-rule-index={index}>
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
        <NativeSelect
          label="Kind"
          value={rule.kind}
          disabled={disabled}
          onChange={(e) => set('kind', e.currentTarget.value as EditableRule['kind'])}
          error={errors?.get('kind')}
          data={[
            { label: 'Any', value: '' },
            { label: 'Tool', value: 'tool' },
            { label: 'LLM', value: 'llm' },
          ]}
        />
        <TextInput
          label="Tool (glob)"
          placeholder="shell.*"
          value={rule.tool}
          disabled={disabled}
          onChange={(e) => set('tool', e.currentTarget.value)}
          error={errors?.get('tool')}
        />
        <TextInput
          label="Input pattern (RE2)"
          placeholder="rm -rf"
          value={rule.input_pattern}
          disabled={disabled}
          onChange={(e) => set('input_pattern', e.currentTarget.value)}
          error={errors?.get('input_pattern')}
          styles={{ input: { fontFamily: 'monospace' } }}
        />
        <NativeSelect
          label="Action"
          value={rule.action}
          disabled={disabled}
          onChange={(e) => set('action', e.currentTarget.value as EditableRule['action'])}
          error={errors?.get('action')}
          data={[
            { label: 'Block', value: 'block' },
            { label: 'Review', value: 'review' },
            { label: 'Allow', value: 'allow' },
          ]}
        />
        <TextInput label="Reason" placeholder="destructive command" value={rule.reason} disabled={disabled} onChange={(e) => set('reason', e.currentTarget.value)} error={errors?.get('reason')} />
        <NativeSelect
          label="When its review times out"
          value={rule.timeout_decision}
          disabled={disabled}
          onChange={(e) => set('timeout_decision', e.currentTarget.value as EditableRule['timeout_decision'])}
          error={errors?.get('timeout_decision')}
          data={[
            { label: "The project's decision", value: '' },
            { label: 'Block', value: 'block' },
            { label: 'Allow', value: 'allow' },
          ]}
        />
      </SimpleGrid>
      {!disabled && (
        <Group gap="xs" mt="sm" justify="flex-end">
          <Tooltip label="Move up (Alt+↑)">
            <ActionIcon variant="default" aria-label={`Move rule ${n} up`} disabled={index === 0} onClick={() => onMove(index - 1)}>
              ↑
            </ActionIcon>
          </Tooltip>
          <Tooltip label="Move down (Alt+↓)">
            <ActionIcon variant="default" aria-label={`Move rule ${n} down`} disabled={index === count - 1} onClick={() => onMove(index + 1)}>
              ↓
            </ActionIcon>
          </Tooltip>
          <ActionIcon variant="default" color="red.8" aria-label={`Delete rule ${n}`} onClick={onDelete}>
            ✕
          </ActionIcon>
        </Group>
      )}
    </Fieldset>
  );
}
