/**
 * What `streambox-tls select` (provisioning/tls/streambox-tls) decided: which certificate nginx
 * serves, read from TLS_DIR/status.json, and the appliance CA's certificate (TLS_DIR/ca/ca.crt).
 * Read on demand and cached by modification time: the file changes only when the certificate does.
 */
import { readFileSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';

export type TlsSource = 'operator' | 'acme' | 'self';

export interface TlsStatus {
  source: TlsSource;
  /** Why a better source was not used (an operator or ACME certificate that failed), or null. */
  reason: string | null;
  subject: string | null;
  names: string[];
  notAfter: string | null;
  fingerprintSha256: string | null;
  caFingerprintSha256: string | null;
  updatedAt: string | null;
}

const SOURCES: readonly string[] = ['operator', 'acme', 'self'];
const cache = new Map<string, { mtimeMs: number; size: number; value: unknown }>();

function cached<T>(file: string, parse: (text: string) => T | null): T | null {
  let st;
  try {
    st = statSync(file);
  } catch {
    cache.delete(file);
    return null;
  }
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.value as T | null;
  let value: T | null = null;
  try {
    value = parse(readFileSync(file, 'utf8'));
  } catch {
    value = null;
  }
  cache.set(file, { mtimeMs: st.mtimeMs, size: st.size, value });
  return value;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The status file, or null when streambox-tls has not run here (dev server, tests) or it is unreadable. */
export function readTlsStatus(tlsDir: string): TlsStatus | null {
  return cached(join(tlsDir, 'status.json'), (text) => {
    const raw = JSON.parse(text) as Record<string, unknown>;
    if (typeof raw.source !== 'string' || !SOURCES.includes(raw.source)) return null;
    return {
      source: raw.source as TlsSource,
      reason: str(raw.reason),
      subject: str(raw.subject),
      names: Array.isArray(raw.names) ? raw.names.filter((n): n is string => typeof n === 'string') : [],
      notAfter: str(raw.notAfter),
      fingerprintSha256: str(raw.fingerprintSha256),
      caFingerprintSha256: str(raw.caFingerprintSha256),
      updatedAt: str(raw.updatedAt),
    };
  });
}

/** The appliance CA's certificate (PEM), or null when there is none (or it is not a certificate). */
export function readApplianceCa(tlsDir: string): string | null {
  return cached(join(tlsDir, 'ca', 'ca.crt'), (text) => {
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
    if (!pem) return null;
    const cert = new X509Certificate(pem);
    return cert.ca ? `${pem}\n` : null;
  });
}
