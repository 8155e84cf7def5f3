import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ServerSecretService } from '../infra/crypto/server-secret.service.js';

const PURPOSE = 'webhook-secret-encryption';

/**
 * Webhook signing secrets at rest: AES-256-GCM under a key derived from the server secret, with the webhook's id as
 * associated data so a sealed secret cannot be moved to another webhook row. Format `v1.<iv>.<tag>.<ciphertext>`
 * (base64url).
 */
@Injectable()
export class WebhookSecretBox {
  constructor(private readonly secrets: ServerSecretService) {}

  async seal(webhookId: string, secret: string): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.secrets.deriveKey(PURPOSE), iv);
    cipher.setAAD(Buffer.from(webhookId));
    const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), data].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  async open(webhookId: string, sealed: string): Promise<string> {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('unknown webhook secret format');
    const decipher = createDecipheriv('aes-256-gcm', await this.secrets.deriveKey(PURPOSE), Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(webhookId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}
