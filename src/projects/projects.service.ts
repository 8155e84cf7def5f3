import { Injectable } from '@nestjs/common';
import { notifyOnCommit } from '../infra/notify/notify-channel.js';
import type { Prisma, Project } from '../generated/prisma/client.js';
import { AuditService, type AuditActor } from '../audit/audit.service.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { UUID_ID, decodeCursor, type Page, pageOf } from '../infra/http/pagination.js';
import { policyChangedChannel } from '../policies/policy-events.js';
import { type CreateProjectDto, type ProjectView, type UpdateProjectDto, projectView } from './dto/project.dto.js';

function projectData(input: Partial<CreateProjectDto>): Prisma.ProjectUpdateInput {
  const data: Prisma.ProjectUpdateInput = {};
  if (input.name !== undefined) data.name = input.name;
  if (input.mode !== undefined) data.mode = input.mode;
  if (input.review_timeout_seconds !== undefined) data.reviewTimeoutSeconds = input.review_timeout_seconds;
  if (input.review_max_timeout_seconds !== undefined) data.reviewMaxTimeoutSeconds = input.review_max_timeout_seconds;
  if (input.timeout_decision !== undefined) data.timeoutDecision = input.timeout_decision;
  if (input.redact_keys !== undefined) data.redactKeys = input.redact_keys;
  if (input.allow_edits !== undefined) data.allowEdits = input.allow_edits;
  return data;
}

function checkWindow(p: { reviewTimeoutSeconds: number; reviewMaxTimeoutSeconds: number }): void {
  if (p.reviewTimeoutSeconds > p.reviewMaxTimeoutSeconds) {
    throw new AppError('validation_failed', 'review_timeout_seconds: must not exceed review_max_timeout_seconds');
  }
}

@Injectable()
export class ProjectsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
  ) {}

  async create(input: CreateProjectDto, actor: AuditActor, requestId?: string): Promise<ProjectView> {
    const project = await this.prisma.$transaction(async (tx) => {
      if (await tx.project.findUnique({ where: { name: input.name }, select: { id: true } })) {
        throw new AppError('conflict', `a project named ${input.name} already exists`);
      }
      const row = await tx.project.create({ data: projectData(input) as Prisma.ProjectCreateInput });
      checkWindow(row);
      await this.audit.record({ actor, action: 'project.create', target: { type: 'project', id: row.id }, details: { ...input }, requestId }, tx);
      return row;
    });
    return projectView(project);
  }

  async list(cursor: string | undefined, limit = 50): Promise<Page<ProjectView>> {
    const position = decodeCursor(cursor, UUID_ID);
    const rows = await this.prisma.project.findMany({
      where: position ? { OR: [{ createdAt: { lt: position.at } }, { createdAt: position.at, id: { lt: position.id } }] } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    return pageOf(rows, limit, (p) => ({ at: p.createdAt, id: p.id }), projectView);
  }

  async get(id: string): Promise<Project> {
    const project = await this.prisma.project.findUnique({ where: { id } });
    if (!project) throw new AppError('not_found', 'project not found');
    return project;
  }

  async update(id: string, input: UpdateProjectDto, actor: AuditActor, requestId?: string): Promise<ProjectView> {
    const project = await this.prisma.$transaction(async (tx) => {
      const existing = await tx.project.findUnique({ where: { id } });
      if (!existing) throw new AppError('not_found', 'project not found');
      if (input.name && input.name !== existing.name && (await tx.project.findUnique({ where: { name: input.name }, select: { id: true } }))) {
        throw new AppError('conflict', `a project named ${input.name} already exists`);
      }
      const row = await tx.project.update({ where: { id }, data: projectData(input) });
      checkWindow(row);
      await this.audit.record({ actor, action: 'project.update', target: { type: 'project', id }, details: { ...input }, requestId }, tx);
      // Mode and review timeouts are part of every instance's cached policy: drop it on commit.
      await notifyOnCommit(tx, policyChangedChannel, { project_id: id });
      return row;
    });
    return projectView(project);
  }
}
