import { describe, expect, it } from 'vitest';
import { customizeScript, defaultRecipe, IMAGE_PACKAGES, mirrorFromSources, recipeHash, REPO_PACKAGES } from '../../../src/lab/recipe.ts';

describe('image recipe', () => {
  it('hashes the same recipe to the same key and any change to another', () => {
    const a = defaultRecipe('http://deb.debian.org/debian');
    expect(recipeHash(a)).toBe(recipeHash(defaultRecipe('http://deb.debian.org/debian')));
    expect(recipeHash(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(recipeHash({ ...a, packages: [...a.packages, 'less'] })).not.toBe(recipeHash(a));
    expect(recipeHash({ ...a, customize: `${a.customize}\n# x` })).not.toBe(recipeHash(a));
    expect(recipeHash({ ...a, mirror: 'http://other/debian' })).not.toBe(recipeHash(a));
  });

  it('is a Pi OS Lite stand-in without bc or Node.js', () => {
    expect(IMAGE_PACKAGES).toContain('openssh-server');
    expect(IMAGE_PACKAGES).not.toContain('bc');
    expect(IMAGE_PACKAGES).not.toContain('nodejs');
    expect(REPO_PACKAGES).toEqual(expect.arrayContaining(['bc', 'nodejs', 'htop']));
  });

  it('customizes like a freshly flashed Pi', () => {
    const s = customizeScript(REPO_PACKAGES);
    expect(s).toContain('echo \'root:raspberry\' | chroot "$R" chpasswd');
    // Stock Raspberry Pi OS: a sudo user with a password, a user without sudo, and no root-login drop-in
    // in the image (the root-login lab writes one onto each Pi's card).
    expect(s).toContain('useradd --create-home --shell /bin/bash --groups sudo pi');
    expect(s).toContain('useradd --create-home --shell /bin/bash guest\n');
    expect(s).toContain("'pi:raspberry' 'guest:raspberry' | chroot \"$R\" chpasswd");
    expect(s).not.toContain('PermitRootLogin');
    expect(IMAGE_PACKAGES).toContain('sudo');
    expect(s).toContain('rm -f "$R"/etc/ssh/ssh_host_*');
    expect(s).toContain('ExecStart=/usr/bin/ssh-keygen -A');
    expect(s).toMatch(/mask apt-daily\.timer apt-daily-upgrade\.timer/);
    expect(s).toContain(': > "$R/etc/machine-id"');
    expect(s).toContain("echo 'deb [trusted=yes] http://10.213.0.1:8079/ ./'");
    // The closure is downloaded before the sources are switched to the lab repository.
    expect(s.indexOf('--download-only')).toBeLessThan(s.indexOf('pirack-lab.list'));
  });

  it('reads the host mirror from a deb822 sources file', () => {
    const text = 'Types: deb\nURIs: http://deb.debian.org/debian-security\n\nTypes: deb\nURIs: http://mirror.example/debian\n';
    expect(mirrorFromSources(text)).toBe('http://mirror.example/debian');
    expect(mirrorFromSources('')).toBe('http://deb.debian.org/debian');
  });
});
