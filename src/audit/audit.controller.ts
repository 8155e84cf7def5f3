import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Roles } from '../auth/auth.decorators.js';
import { EXPORT_MEDIA_TYPES, streamAuditExport } from './audit-export.js';
import { AuditService } from './audit.service.js';
import { AuditChainReport } from './dto/audit-chain.dto.js';
import { AuditExportQuery, AuditPage, AuditQuery, auditFilterOf } from './dto/audit.dto.js';

@ApiTags('audit')
@ApiBearerAuth()
@ApiCookieAuth('arbiter_session')
@Roles('admin')
@Controller('api/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'The audit log, newest first (admins)' })
  @ApiOkResponse({ type: AuditPage })
  list(@Query() query: AuditQuery): Promise<AuditPage> {
    return this.audit.list(auditFilterOf(query), query.cursor, query.limit);
  }

  @Get('export')
  @ApiOperation({
    summary: 'Download the audit log, newest first, as CSV or JSON lines (admins)',
    description:
      'The same filters as the list, every matching entry, streamed as it is read (attachment). CSV columns: id, at, actor_type, actor_id, action, ' +
      'target_type, target_id, request_id, details (JSON); cells that a spreadsheet would run as a formula start with an apostrophe. ' +
      'JSON lines: one entry per line, as in the list.',
  })
  @ApiProduces(EXPORT_MEDIA_TYPES.csv, EXPORT_MEDIA_TYPES.jsonl)
  @ApiOkResponse({
    description: 'The file',
    content: { [EXPORT_MEDIA_TYPES.csv]: { schema: { type: 'string' } }, [EXPORT_MEDIA_TYPES.jsonl]: { schema: { type: 'string' } } },
  })
  async export(@Query() query: AuditExportQuery, @Res() res: Response): Promise<void> {
    await streamAuditExport(res, this.audit.exportBatches(auditFilterOf(query)), query.format);
  }

  @Get('verify')
  @ApiOperation({
    summary: 'Verify the audit log’s hash chain (admins)',
    description:
      'Walks every kept entry in seq order from the anchor (where retention cut the chain) to the head, recomputing each hash and checking each link, ' +
      'in batches within one snapshot. Reports the first broken link: an entry altered, deleted (a missing seq) or inserted. `npm run audit:verify` does the same from a shell.',
  })
  @ApiOkResponse({ type: AuditChainReport })
  verify(): Promise<AuditChainReport> {
    return this.audit.verifyChain();
  }
}
