import { Code, Stack, Table, Text, Title } from '@mantine/core';
import type { SessionDetail } from './sessions';

/** The tools the session can reach, as its MCP gateway (arbiter-mcp) last reported them; nothing when none was. */
export function ToolInventory({ inventory }: { inventory: SessionDetail['inventory'] }) {
  if (!inventory) return null;
  const { server, tools } = inventory;
  return (
    <Stack gap="xs" component="section" aria-labelledby="inventory-title">
      <Title order={2} size="h3" id="inventory-title">
        Tools
      </Title>
      <Text size="sm" c="dark.6">
        {tools.length} tool{tools.length === 1 ? '' : 's'} of the MCP server <b>{server.name}</b>
        {server.version ? ` ${server.version}` : ''}, reported by its gateway {new Date(inventory.reported_at).toLocaleString()}.
      </Text>
      <Table striped withTableBorder aria-labelledby="inventory-title">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Tool</Table.Th>
            <Table.Th scope="col">Description</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {tools.map((tool) => (
            <Table.Tr key={tool.name}>
              <Table.Td>
                <Code>{tool.name}</Code>
              </Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>{tool.description ?? ''}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
