import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhookSignature } from './webhook-signature.js';

describe('webhook signatures', () => {
  const secret = 'whsec-0123456789abcdef';
  const body = '{"type":"review.created"}';

  it('is the hex HMAC-SHA256 of "<timestamp>.<body>"', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signWebhook(secret, 1700000000, body)).toBe(`sha256=${expected}`);
  });

  it('verifies a fresh signature and refuses a changed body, another secret or a stale timestamp', () => {
    const now = 1700000000;
    const signature = signWebhook(secret, now, body);
    expect(verifyWebhookSignature(secret, String(now), body, signature, { nowSeconds: now + 10 })).toBe(true);
    expect(verifyWebhookSignature(secret, String(now), body + ' ', signature, { nowSeconds: now })).toBe(false);
    expect(verifyWebhookSignature('another-secret-value', String(now), body, signature, { nowSeconds: now })).toBe(false);
    expect(verifyWebhookSignature(secret, String(now), body, signature, { nowSeconds: now + 301 })).toBe(false);
    expect(verifyWebhookSignature(secret, undefined, body, signature, { nowSeconds: now })).toBe(false);
  });
});
