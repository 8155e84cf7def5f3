import { Kbd, Modal, Table } from '@mantine/core';

export const SHORTCUTS: [string, string][] = [
  ['j', 'Next review'],
  ['k', 'Previous review'],
  ['a', 'Approve the selected review'],
  ['e', 'Edit the input, then approve (where the project allows edits)'],
  ['d', 'Deny the selected review (asks for a reason)'],
  ['x', 'Extend the selected review by 5 minutes'],
  ['Enter', 'Open the selected review on its own page'],
  ['?', 'Show this help'],
];

export function KeyboardHelp({ opened, onClose }: { opened: boolean; onClose(): void }) {
  return (
    <Modal opened={opened} onClose={onClose} title="Keyboard shortcuts" centered closeButtonProps={{ 'aria-label': 'Close' }}>
      <Table>
        <Table.Tbody>
          {SHORTCUTS.map(([key, what]) => (
            <Table.Tr key={key}>
              <Table.Td>
                <Kbd>{key}</Kbd>
              </Table.Td>
              <Table.Td>{what}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Modal>
  );
}
