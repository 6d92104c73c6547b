// Same-origin JSON calls. The session cookie rides along by itself; the token never lives in JS
// beyond the login form.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function call(method, url, body) {
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const api = {
  get: (url) => call('GET', url),
  post: (url, body) => call('POST', url, body),
  /** Like post, but an OperationResult with a 4xx/5xx code is returned, not thrown. */
  async operate(url, body) {
    try {
      return await call('POST', url, body);
    } catch (error) {
      if (error instanceof ApiError && error.body && typeof error.body.ok === 'boolean') return error.body;
      throw error;
    }
  },
};
