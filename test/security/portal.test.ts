import { describe, expect, it } from 'vitest';
import { startPageServer } from '../support/pageServer.js';
import { countingHost } from './kioskHosts.js';

describe('the tests\' internet hosts', () => {
  it('serve pages at a namespace address, not at any address of this machine', async () => {
    const pages = await startPageServer();
    const host = await countingHost('meta', 'META', { host: '169.254.169.253', ns: '169.254.169.254', prefix: 30 });
    try {
      expect(pages.origin).toMatch(/^http:\/\/198\.1[89]\.\d+\.\d+:\d+$/);
      const res = await fetch(pages.url('/tone'));
      expect(res.status).toBe(200);
      await fetch(pages.url('/report/t'), { method: 'POST', body: JSON.stringify({ a: 1 }) });
      expect(pages.reports('t')).toEqual([{ a: 1 }]);
      expect(await (await fetch('http://169.254.169.254/latest')).text()).toContain('META');
      expect(await host.hits()).toEqual([{ from: '169.254.169.253', url: '/latest' }]);
    } finally {
      await pages.close();
      await host.netns.teardown();
    }
  });
});
