import { describe, expect, it } from 'vitest';
import { allows, formatPattern, parsePattern, policyAllowlist } from '../../server/rooms/urlAllowlist.js';
import { formatEnvFile } from '../../server/runtime/systemd/envFile.js';
import { formatPolicyFile } from '../../server/runtime/roomEnv.js';

const list = (...p: string[]) => p.map(parsePattern);

describe('room URL allowlist patterns', () => {
  it('normalise to the Chromium URLAllowlist format', () => {
    expect(formatPattern(parsePattern(' Example.ORG '))).toBe('example.org');
    expect(formatPattern(parsePattern('HTTPS://.Docs.Example.com:8443/guide/'))).toBe('https://.docs.example.com:8443/guide/');
    expect(formatPattern(parsePattern('http://198.18.0.2:8080/'))).toBe('http://198.18.0.2:8080');
  });

  it('refuse what is not a host pattern of http(s) pages', () => {
    for (const bad of ['', '*', '*.example.org', 'file:///etc/passwd', 'chrome://settings', 'javascript:alert(1)', 'ftp://x.org', 'user@x.org', 'x.org?q=1', 'http://x.org:0', 'http://x.org:70000', 'exa mple.org', '-x.org', 'x.org/"quote', 'a'.repeat(301)]) {
      expect(() => parsePattern(bad), bad).toThrow();
    }
  });

  it('match like Chromium: subdomains unless a leading dot, scheme, port and path prefix', () => {
    expect(allows(list('example.org'), 'https://example.org/x')).toBe(true);
    expect(allows(list('example.org'), 'http://www.example.org/')).toBe(true);
    expect(allows(list('example.org'), 'https://badexample.org/')).toBe(false);
    expect(allows(list('.example.org'), 'https://www.example.org/')).toBe(false);
    expect(allows(list('https://example.org'), 'http://example.org/')).toBe(false);
    expect(allows(list('example.org:8080'), 'http://example.org:8080/')).toBe(true);
    expect(allows(list('example.org:8080'), 'http://example.org/')).toBe(false);
    expect(allows(list('example.org:443'), 'https://example.org/')).toBe(true);
    expect(allows(list('example.org/docs'), 'https://example.org/docs/a')).toBe(true);
    expect(allows(list('example.org/docs'), 'https://example.org/blog')).toBe(false);
    expect(allows(list('198.18.0.2'), 'http://198.18.0.22/')).toBe(false);
  });

  it('reach the kiosk as a policy file and the env file', () => {
    const spec = { id: 'abc', display: 12, width: 1280, height: 720, fps: 25, videoBitrateKbps: 2000, startUrl: 'https://x.test/', vncPassword: 's', relayUrl: 'http://127.0.0.1:8081/i/' };
    expect(JSON.parse(formatPolicyFile(spec))).toEqual({ URLAllowlist: ['http://*', 'https://*'], ForceEphemeralProfiles: true });
    expect(JSON.parse(formatPolicyFile({ ...spec, urlAllowlist: ['x.test', 'https://.y.test/a'] }))).toEqual({ URLAllowlist: ['x.test', 'https://.y.test/a'], ForceEphemeralProfiles: true });
    // Keep logins: the profile must survive Chromium's exit.
    expect(JSON.parse(formatPolicyFile({ ...spec, keepLogins: true })).ForceEphemeralProfiles).toBe(false);
    expect(formatEnvFile({ ...spec, urlAllowlist: ['x.test', 'y.test'] }, 'rtmp://r')).toContain('ROOM_URL_ALLOWLIST="x.test y.test"');
    expect(policyAllowlist([])).toEqual(['http://*', 'https://*']);
  });
});
