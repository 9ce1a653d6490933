/**
 * The appliance's certificate on the dashboard (GET /api/tls): the "Trust this appliance" panel
 * while it serves its own CA (download, fingerprint, one line per OS/browser), and a notice when
 * it fell back to that CA because an operator or ACME certificate failed.
 */
import { api } from '../shared/api.js';
import { h } from '../shared/dom.js';
import { icon } from '../shared/icons.js';
import { copyText } from '../shared/clipboard.js';
import { toast } from '../shared/toast.js';
import type { TlsInfo } from '../../../server/http/routes/tls.js';

export type { TlsInfo };

export async function loadTls(): Promise<TlsInfo | null> {
  try {
    return await api<TlsInfo>('GET', '/api/tls');
  } catch {
    return null; // an older admin service, or none: the dashboard works without it
  }
}

const FILE = 'streambox-ca.crt';

/** One line per OS/browser: how to trust the downloaded CA certificate. */
const STEPS: Array<[string, string, boolean]> = [
  ['Windows (Chrome, Edge), as administrator', `certutil -addstore Root ${FILE}`, true],
  ['macOS (Safari, Chrome), or Keychain Access → Always Trust', `sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${FILE}`, true],
  ['Linux (Chrome, Chromium)', `certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n streambox -i ${FILE}`, true],
  ['Firefox (any OS)', 'Settings → Privacy & Security → Certificates → View Certificates → Authorities → Import, tick “Trust this CA to identify websites”', false],
  ['Android', 'Settings → Security → More security settings → Encryption & credentials → Install a certificate → CA certificate', false],
  ['iPhone, iPad', 'Open the download, Settings → General → VPN & Device Management → install it, then Settings → General → About → Certificate Trust Settings → turn it on', false],
];

function copyable(text: string, label: string): HTMLElement {
  return h(
    'button',
    {
      type: 'button',
      class: 'btn btn-ghost btn-sm btn-icon',
      'aria-label': `Copy ${label}`,
      title: `Copy ${label}`,
      onclick: async () => toast((await copyText(text)) ? `Copied ${label}.` : 'Copy failed.', { icon: 'check' }),
    },
    icon('copy', 15),
  );
}

/** A notice when a configured certificate could not be used (the reason is in status.json). */
export function fallbackNotice(tls: TlsInfo): HTMLElement | null {
  if (!tls.reason || tls.source === null) return null;
  const what = tls.source === 'self' ? 'This appliance fell back to its own certificate authority' : `This appliance serves its ${tls.source === 'acme' ? 'ACME' : 'operator'} certificate`;
  return h(
    'div',
    { class: 'banner banner-warn tls-notice', role: 'status' },
    icon('alert', 16),
    h('span', null, h('strong', null, `${what}. `), tls.reason, tls.source === 'self' ? '. Fix the certificate (see journalctl -u streambox-tls); it is picked up within a minute.' : ''),
  );
}

/** The "Trust this appliance" panel, shown while the appliance serves its own CA. */
export function trustPanel(tls: TlsInfo): HTMLElement | null {
  if (tls.source !== 'self') return null;
  const fp = tls.caFingerprintSha256 ?? 'unknown';
  const details = h(
    'details',
    { class: 'trust-panel card' },
    h(
      'summary',
      null,
      icon('lock', 18),
      h('span', { class: 'trust-title' }, 'Trust this appliance'),
      h('span', { class: 'muted trust-why hide-narrow' }, 'once per device: no certificate warning, and the fastest live view'),
      icon('chevronDown', 16),
    ),
    h(
      'div',
      { class: 'trust-body' },
      h(
        'p',
        null,
        'This appliance signs its own HTTPS certificate. Browsers warn about it until they trust its certificate authority (CA). It can only vouch for private and local addresses and this machine’s names, never for other websites.',
      ),
      h(
        'div',
        { class: 'trust-actions' },
        tls.caUrl ? h('a', { class: 'btn btn-sm btn-primary', href: tls.caUrl, download: FILE }, icon('external', 16), h('span', null, 'Download the CA certificate')) : h('span', { class: 'muted' }, 'The CA certificate is not available yet.'),
      ),
      h('p', { class: 'trust-fp-label' }, 'Check that the file you install has this SHA-256 fingerprint:'),
      h('div', { class: 'trust-fp' }, h('code', { class: 'mono' }, fp), copyable(fp, 'the fingerprint')),
      h(
        'dl',
        { class: 'trust-steps' },
        STEPS.map(([os, how, command]) => [h('dt', null, os), h('dd', null, command ? h('code', { class: 'mono' }, how) : how, command ? copyable(how, `the ${os} command`) : null)]),
      ),
      h('p', { class: 'muted' }, 'Then reload this page. People who do not trust it can still open room links on plain HTTP (no warning; a little slower).'),
    ),
  );
  return details;
}
