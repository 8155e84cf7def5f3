-- The tools an agent's session can reach, as its MCP gateway last reported them (protocol 1.1 inventory frame)
ALTER TABLE "agent_sessions" ADD COLUMN "inventory" JSONB;
