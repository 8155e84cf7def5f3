import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ServerSecretService } from '../infra/crypto/server-secret.service.js';

const PURPOSE = 'webhook-secret-encryption';

/** A sealed secret and whether it was sealed under a server secret that has since been replaced. */
export interface OpenedSecret {
  secret: string;
  /** Sealed under a previous server secret: re-seal it (`seal`) to stop depending on that one. */
  stale: boolean;
}

/**
 * Webhook signing secrets at rest: AES-256-GCM under a key derived from the server secret, with the webhook's id as
 * associated data so a sealed secret cannot be moved to another webhook row. Format `v1.<iv>.<tag>.<ciphertext>`
 * (base64url). Opening tries the current key, then the keys of the secrets it replaced (GCM's tag tells which fits).
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
    return (await this.openWithAge(webhookId, sealed)).secret;
  }

  async openWithAge(webhookId: string, sealed: string): Promise<OpenedSecret> {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('unknown webhook secret format');
    const keys = [await this.secrets.deriveKey(PURPOSE), ...(await this.secrets.previousKeys(PURPOSE))];
    for (const [i, key] of keys.entries()) {
      const secret = decrypt(key, webhookId, iv, tag, data);
      if (secret !== undefined) return { secret, stale: i > 0 };
    }
    throw new Error('the webhook secret does not open under the server secret (ARBITER_SECRET changed without ARBITER_SECRET_PREVIOUS?)');
  }
}

/** The plaintext, or undefined when `key` is not the one it was sealed with. */
function decrypt(key: Buffer, webhookId: string, iv: string, tag: string, data: string): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(webhookId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
