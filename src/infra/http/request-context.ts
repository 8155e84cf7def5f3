import { type ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';

/** Where a request came from, for audit entries and rate limits. */
export interface RequestContext {
  requestId: string | undefined;
  /** The client address as Express sees it (honours `TRUST_PROXY`). */
  ip: string;
  userAgent: string | undefined;
}

export function requestContextOf(req: Request): RequestContext {
  const id = (req as Request & { id?: unknown }).id;
  return {
    requestId: typeof id === 'string' ? id : undefined,
    ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
    userAgent: req.headers['user-agent']?.slice(0, 512),
  };
}

export const ReqContext = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestContext =>
  requestContextOf(ctx.switchToHttp().getRequest<Request>()),
);
