import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCertDir, ensureDevCertificate } from '../../dev/tenant/certificate.js';

describe('ensureDevCertificate', () => {
  it('makes a self-signed certificate for 127.0.0.1 and localhost once, then reuses it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devcert-'));
    try {
      const [a, b] = await Promise.all([ensureDevCertificate(dir), ensureDevCertificate(dir)]);
      expect(a).toEqual(b);
      const x = new X509Certificate(readFileSync(a.certPath));
      expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(x.checkHost('localhost')).toBe('localhost');
      expect(x.verify(x.publicKey)).toBe(true);
      expect(readFileSync(a.caPath, 'utf8')).toBe(readFileSync(a.certPath, 'utf8'));
      expect(statSync(a.keyPath).mode & 0o077).toBe(0);
      const before = readFileSync(a.certPath, 'utf8');
      await ensureDevCertificate(dir);
      expect(readFileSync(a.certPath, 'utf8')).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('defaults to DEV_CERT_DIR or <repo>/.dev-certs', () => {
    expect(defaultCertDir()).toBe(process.env.DEV_CERT_DIR ?? join(process.cwd(), '.dev-certs'));
  });
});
