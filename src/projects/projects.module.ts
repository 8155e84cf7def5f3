import { Module } from '@nestjs/common';
import { ProjectPauseController } from './project-pause.controller.js';
import { ProjectPauseService } from './project-pause.service.js';
import { ProjectsController } from './projects.controller.js';
import { ProjectsService } from './projects.service.js';

@Module({ controllers: [ProjectsController, ProjectPauseController], providers: [ProjectsService, ProjectPauseService], exports: [ProjectsService] })
export class ProjectsModule {}
