import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header NetBox signs its webhooks in: the hex HMAC-SHA512 of the body, keyed with the webhook's secret. */
export const SIGNATURE_HEADER = 'x-hook-signature';

export type SignatureCheck = 'valid' | 'unsigned' | 'wrong';

export function signBody(body: Buffer | string, secret: string): string {
  return createHmac('sha512', secret).update(body).digest('hex');
}

/** Checks a webhook's signature in constant time. */
export function checkSignature(body: Buffer, signature: string | undefined, secret: string): SignatureCheck {
  if (signature === undefined || signature.trim() === '') return 'unsigned';
  const expected = Buffer.from(signBody(body, secret), 'hex');
  const given = Buffer.from(signature.trim().toLowerCase(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'wrong';
}

/** What a NetBox webhook says happened, from its default body (event, object_type, data). */
export interface WebhookEvent {
  readonly event: string;
  readonly objectType: string;
  readonly objectId?: number;
}

export function parseEvent(body: Buffer): WebhookEvent | undefined {
  try {
    const json = JSON.parse(body.toString('utf8')) as { event?: unknown; object_type?: unknown; model?: unknown; data?: { id?: unknown } };
    if (typeof json.event !== 'string') return undefined;
    // NetBox 4 names the object type "dcim.device"; NetBox 3 sent only the model, "device".
    const objectType = typeof json.object_type === 'string' ? json.object_type : typeof json.model === 'string' ? json.model : 'unknown';
    return { event: json.event, objectType, objectId: typeof json.data?.id === 'number' ? json.data.id : undefined };
  } catch {
    return undefined;
  }
}
