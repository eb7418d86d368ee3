import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The federation's certificate authority for tests, made with openssl in `dir`: what
 * cert-manager's CA issuer does in the cluster. `issue` writes a key and certificate in
 * the layout cert-manager gives a Secret (tls.crt, tls.key, ca.crt) and returns the folder.
 */
export function fleetCa(dir: string): { issue(name: string, subject: string, extensions: string): string } {
  const openssl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
  openssl('req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=helios-federation-ca', '-days', '1', '-out', 'ca.crt');
  return {
    issue(name, subject, extensions) {
      const folder = join(dir, name);
      mkdirSync(folder, { recursive: true });
      openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(folder, 'tls.key'));
      openssl('req', '-new', '-key', join(folder, 'tls.key'), '-subj', `/CN=${subject}`, '-out', join(folder, 'tls.csr'));
      writeFileSync(join(folder, 'ext'), extensions);
      openssl('x509', '-req', '-in', join(folder, 'tls.csr'), '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1',
        '-extfile', join(folder, 'ext'), '-out', join(folder, 'tls.crt'));
      openssl('x509', '-in', 'ca.crt', '-out', join(folder, 'ca.crt'));
      return folder;
    },
  };
}
