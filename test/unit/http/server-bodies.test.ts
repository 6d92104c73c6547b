/** Malformed, mistyped and oversized requests get a clear JSON error and never reach the daemon. */
import { describe, expect, it } from 'vitest';
import { bearer, harness } from './harness.ts';

const json = { ...bearer, 'content-type': 'application/json' };

describe('request validation', () => {
  it.each([
    ['bad JSON', '/api/v1/stacks/1/power', '{"op": "on"', /not valid JSON/],
    ['a missing field', '/api/v1/rack/power', '{}', /must have required property 'op'/],
    ['a wrong value', '/api/v1/rack/power', '{"op": "explode"}', /body\/op must be equal to one of the allowed values/],
    ['a wrong type', '/api/v1/rack/power', '{"op": 1}', /body\/op must be string/],
    ['an unknown field', '/api/v1/rack/power', '{"op": "on", "force": true}', /must NOT have additional properties/],
    ['an array body', '/api/v1/rack/power', '["on"]', /body must be object/],
    ['a legacy id that is no number', '/api/v1.0/rasps/execute', '{"id": "one", "action": "cpu"}', /body\/id/],
    ['a login token of the wrong type', '/api/v1/login', '{"token": 12345678901234567890}', /body\/token must be string/],
  ])('answers %s with 400 and says what is wrong', async (_name, url, payload, message) => {
    const h = await harness();
    const res = await h.app.inject({ method: 'POST', url, headers: json, payload });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe('PIRACK_ERR_HTTP_BAD_REQUEST');
    expect(body.error.reason).toBe('BadRequest');
    expect(body.error.message).toMatch(message);
    expect(h.facade.calls).toEqual([]);
    await h.app.close();
  });

  it('rejects a path id that is not a number with 400', async () => {
    const h = await harness();
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/pis/abc/reboot', headers: bearer });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/params\/id/);
    expect(h.facade.calls).toEqual([]);
    await h.app.close();
  });

  it('rejects a body over the limit with 413 before parsing it', async () => {
    const h = await harness({ bodyLimit: 1024 });
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/rack/power',
      headers: json,
      payload: JSON.stringify({ op: 'on', pad: 'x'.repeat(2048) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ reason: 'PayloadTooLarge', message: 'request body is larger than 1024 bytes' });
    expect(h.facade.calls).toEqual([]);
    await h.app.close();
  });

  it('rejects a body that is not JSON with 415', async () => {
    const h = await harness();
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/rack/power',
      headers: { ...bearer, 'content-type': 'text/plain' },
      payload: 'op=on',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.reason).toBe('UnsupportedMediaType');
    await h.app.close();
  });

  it('rejects prototype pollution attempts', async () => {
    const h = await harness();
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/rack/power',
      headers: json,
      payload: '{"op":"on","__proto__":{"admin":true}}',
    });
    expect(res.statusCode).toBe(400);
    expect(h.facade.calls).toEqual([]);
    await h.app.close();
  });

  it('accepts an empty JSON body on a route that takes none', async () => {
    const h = await harness();
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/reconcile', headers: json, payload: '' });
    expect(res.statusCode).toBe(202);
    await h.app.close();
  });

  it('answers an unknown route with a JSON 404', async () => {
    const h = await harness();
    for (const [method, url] of [
      ['GET', '/api/v1/nothing'],
      ['POST', '/api/v2/reconcile'],
      ['GET', '/ui/../../etc/passwd'],
      ['GET', '/ui/js/missing.js'],
    ] as const) {
      const res = await h.app.inject({ method, url, headers: bearer });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.reason).toBe('NotFound');
    }
    await h.app.close();
  });
});
