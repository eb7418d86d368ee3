import { createHmac } from 'node:crypto';
import { checkSignature, parseEvent, signBody } from '../src/webhook.js';

describe('NetBox webhook signatures', () => {
  const body = Buffer.from('{"event":"updated","object_type":"dcim.device","data":{"id":7,"name":"leaf1"}}');

  it('accepts the hex HMAC-SHA512 of the body keyed with the secret, in any case', () => {
    const signature = createHmac('sha512', 's3cret').update(body).digest('hex');
    expect(signBody(body, 's3cret')).toBe(signature);
    expect(checkSignature(body, signature, 's3cret')).toBe('valid');
    expect(checkSignature(body, signature.toUpperCase(), 's3cret')).toBe('valid');
  });

  it('refuses a missing, wrong, truncated or non-hex signature, and a signature of another body', () => {
    const signature = signBody(body, 's3cret');
    expect(checkSignature(body, undefined, 's3cret')).toBe('unsigned');
    expect(checkSignature(body, ' ', 's3cret')).toBe('unsigned');
    expect(checkSignature(body, signBody(body, 'other'), 's3cret')).toBe('wrong');
    expect(checkSignature(body, signature.slice(0, 64), 's3cret')).toBe('wrong');
    expect(checkSignature(body, 'z'.repeat(128), 's3cret')).toBe('wrong');
    expect(checkSignature(Buffer.concat([body, Buffer.from(' ')]), signature, 's3cret')).toBe('wrong');
  });

  it('reads the event from NetBox 4 and NetBox 3 bodies', () => {
    expect(parseEvent(body)).toEqual({ event: 'updated', objectType: 'dcim.device', objectId: 7 });
    expect(parseEvent(Buffer.from('{"event":"deleted","model":"device","data":{}}'))).toEqual({ event: 'deleted', objectType: 'device', objectId: undefined });
    expect(parseEvent(Buffer.from('{"event":"created"}'))).toEqual({ event: 'created', objectType: 'unknown', objectId: undefined });
    expect(parseEvent(Buffer.from('not json'))).toBeUndefined();
    expect(parseEvent(Buffer.from('{"data":{}}'))).toBeUndefined();
  });
});
