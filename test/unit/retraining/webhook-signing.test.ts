import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signature, signedHeaders, verifySignature } from '../../../src/events/webhook-signing.js';

describe('Standard Webhooks signing', () => {
  it("matches the specification's reference vector (interoperable with the standardwebhooks libraries)", () => {
    expect(signature('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });
  it('verifies its own headers; refuses another secret, an altered body, a stale timestamp', () => {
    const secret = generateWebhookSecret();
    const at = new Date('2026-11-30T12:00:00Z');
    const headers = signedHeaders(secret, 'msg_1', '{"a":1}', at);
    expect(verifySignature(secret, headers, '{"a":1}', at)).toBe(true);
    expect(verifySignature(generateWebhookSecret(), headers, '{"a":1}', at)).toBe(false);
    expect(verifySignature(secret, headers, '{"a":2}', at)).toBe(false);
    expect(verifySignature(secret, headers, '{"a":1}', new Date(at.getTime() + 301_000))).toBe(false);
    // Several signatures (key rotation): any one matching is enough.
    expect(verifySignature(secret, { ...headers, 'webhook-signature': `v1,bm9wZQ== ${headers['webhook-signature']}` }, '{"a":1}', at)).toBe(true);
  });
});
