import { Global, Module } from '@nestjs/common';
import { PgNotifyService } from './pg-notify.service.js';

@Global()
@Module({ providers: [PgNotifyService], exports: [PgNotifyService] })
export class NotifyModule {}
