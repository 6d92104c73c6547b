import { describe, expect, it } from 'vitest';
import { harness } from '../harness.ts';

describe('dashboard files', () => {
  it('serves the page with a strict CSP and no inline script or style', async () => {
    const h = await harness();
    const res = await h.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.body).not.toMatch(/\sstyle=|\son[a-z]+=/i);
    await h.app.close();
  });

  it('serves the modules and stylesheet with their types', async () => {
    const h = await harness();
    const js = await h.app.inject({ method: 'GET', url: '/ui/js/app.js' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const css = await h.app.inject({ method: 'GET', url: '/ui/style.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    await h.app.close();
  });

  it('inserts no data as HTML anywhere in the dashboard scripts', async () => {
    const h = await harness();
    for (const file of [
      'app.js',
      'dom.js',
      'views/rack.js',
      'views/detail.js',
      'views/header.js',
      'views/events.js',
      'views/plan.js',
      'views/enlistment.js',
      'feedback.js',
    ]) {
      const body = (await h.app.inject({ method: 'GET', url: `/ui/js/${file}` })).body;
      expect(body.length, file).toBeGreaterThan(100);
      expect(body, file).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    }
    await h.app.close();
  });
});
