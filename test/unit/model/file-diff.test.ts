import { describe, expect, it } from 'vitest';
import { fileDiff, isPrivateMode, MASK, maskSecrets } from '../../../src/model/file-diff.ts';

describe('maskSecrets', () => {
  it('masks the values of secret-looking keys and keeps everything else', () => {
    const text = 'host = db\npassword = hunter2\nAPI_KEY: abc123\nexport GITHUB_TOKEN="ghp_x"\nuser: pi\n';
    const masked = maskSecrets(text);
    expect(masked).not.toMatch(/hunter2|abc123|ghp_x/);
    expect(masked).toBe(`host = db\npassword = ${MASK}\nAPI_KEY: ${MASK}\nexport GITHUB_TOKEN=${MASK}\nuser: pi\n`);
  });

  it('replaces a private key block by one line', () => {
    const text = 'a\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\nAAAA\n-----END OPENSSH PRIVATE KEY-----\nz';
    expect(maskSecrets(text)).toBe(`a\n${MASK} (private key)\nz`);
  });
});

describe('fileDiff', () => {
  it('is a unified diff from the Pi to rack.yaml, secrets masked on both sides', () => {
    const d = fileDiff('/etc/app.conf', 'port = 81\ntoken = new-secret\n', '0644', 'port = 80\ntoken = old-secret\n');
    expect(d.kind).toBe('diff');
    if (d.kind !== 'diff') return;
    expect(d.patch).toContain('--- a/etc/app.conf\ton the Pi');
    expect(d.patch).toContain('+++ b/etc/app.conf\track.yaml');
    expect(d.patch).toContain('-port = 80\n+port = 81');
    expect(d.patch).not.toMatch(/old-secret|new-secret/);
    // Both sides mask to the same line: only the real change is shown.
    expect(d.patch).toContain(` token = ${MASK}`);
  });

  it('diffs a missing file from /dev/null', () => {
    const d = fileDiff('/etc/motd', 'hello\n', '0644', undefined);
    expect(d.kind === 'diff' && d.patch).toMatch(/--- \/dev\/null[^\n]*\n\+\+\+ b\/etc\/motd[^\n]*\n@@ -0,0 \+1(,1)? @@\n\+hello/);
  });

  it('withholds a file that is not world-readable, a binary and a huge one', () => {
    expect(isPrivateMode('0600')).toBe(true);
    expect(isPrivateMode('0644')).toBe(false);
    expect(fileDiff('/etc/shadowish', 'x', '0640', 'y')).toEqual({
      kind: 'withheld',
      path: '/etc/shadowish',
      why: expect.stringMatching(/mode 0640/) as string,
    });
    expect(fileDiff('/bin/x', 'a\u0000b', '0755', 'a').kind).toBe('withheld');
    expect(fileDiff('/big', 'x'.repeat(300 * 1024), '0644', 'y').kind).toBe('withheld');
  });
});
