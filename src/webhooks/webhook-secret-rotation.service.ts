import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ServerSecretService, SERVER_SECRET_SETTING } from '../infra/crypto/server-secret.service.js';
import { MigrationStatusService } from '../infra/database/migration-status.service.js';
import { WebhookSecretBox } from './webhook-secret-box.service.js';
import { WebhooksRepository } from './webhooks.repository.js';

const PAGE = 200;

/**
 * After the server secret changed (ARBITER_SECRET with ARBITER_SECRET_PREVIOUS, or ARBITER_SECRET set where the
 * database held a generated one), re-seals every webhook secret under the current key at start, so the old secret can
 * be dropped. Until then, and for anything sealed under an old key later (an instance not yet restarted), secrets
 * still open with the previous keys and the dispatcher re-seals them as it meets them.
 */
@Injectable()
export class WebhookSecretRotation implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookSecretRotation.name);
  /** The start-up pass, once it has begun (it waits for the migrations first). */
  private pass: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly secrets: ServerSecretService,
    private readonly box: WebhookSecretBox,
    private readonly repo: WebhooksRepository,
    private readonly migrations: MigrationStatusService,
  ) {}

  onApplicationBootstrap(): void {
    void this.migrations.whenCurrent().then(() => {
      if (this.stopped) return;
      this.pass = this.resealAll().catch((err: Error) => this.logger.error(`re-sealing webhook secrets under the current server secret failed: ${err.message}`));
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.pass;
  }

  /** Re-seals every webhook secret not sealed under the current key. Safe on several instances at once. */
  async resealAll(): Promise<{ resealed: number; unreadable: number }> {
    if (!(await this.secrets.hasPreviousSecrets())) return { resealed: 0, unreadable: 0 };
    let resealed = 0;
    let unreadable = 0;
    for (let after: string | undefined; ; ) {
      const page = await this.repo.sealedSecrets(after, PAGE);
      for (const row of page) {
        try {
          if (await this.resealIfStale(row.id, row.secret_enc)) resealed++;
        } catch (err) {
          unreadable++;
          this.logger.error(`webhook ${row.id}: ${(err as Error).message}; recreate it with a new secret`);
        }
      }
      if (page.length < PAGE || this.stopped) break;
      after = page[page.length - 1].id;
    }
    if (resealed > 0) this.logger.log(`re-sealed ${resealed} webhook secrets under the current server secret`);
    if (unreadable === 0 && (await this.secrets.storedSecretRetired())) {
      this.logger.warn(
        `every webhook secret is sealed under ARBITER_SECRET; the secret generated before it is still in the database. ` +
          `Once every instance runs with ARBITER_SECRET, delete it: DELETE FROM server_settings WHERE name = '${SERVER_SECRET_SETTING}'`,
      );
    }
    return { resealed, unreadable };
  }

  /** True when the secret was sealed under a previous key and is now sealed under the current one. */
  async resealIfStale(webhookId: string, sealed: string): Promise<boolean> {
    const opened = await this.box.openWithAge(webhookId, sealed);
    if (!opened.stale) return false;
    return this.repo.replaceSealedSecret(webhookId, sealed, await this.box.seal(webhookId, opened.secret));
  }
}
