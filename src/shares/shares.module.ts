import { Module } from '@nestjs/common';
import { PublicSharesController } from './public-shares.controller.js';
import { PublicSharesService } from './public-shares.service.js';
import { ShareCleanupService } from './share-cleanup.service.js';
import { ShareLinksRepository } from './share-links.repository.js';
import { ShareLinksService } from './share-links.service.js';
import { SharesController } from './shares.controller.js';

@Module({
  controllers: [SharesController, PublicSharesController],
  providers: [ShareLinksRepository, ShareLinksService, PublicSharesService, ShareCleanupService],
  exports: [ShareCleanupService],
})
export class SharesModule {}
