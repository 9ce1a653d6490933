import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { json, makeTestApp, type TestApp } from '../support/testApp.js';

describe('CreateRoom: the URL allowlist', () => {
  let runtime: FakeRuntime;
  let t: TestApp;
  let cookie: string;

  beforeEach(async () => {
    runtime = new FakeRuntime();
    t = await makeTestApp(runtime);
    cookie = await t.login();
  });
  afterEach(() => t.close());

  const create = (body: unknown) => t.app.request('/api/rooms', json(body, cookie));

  it('is stored normalised, shown in the room and handed to the runtime', async () => {
    const res = await create({ name: 'Docs', startUrl: 'https://docs.example.org/start', urlAllowlist: ['Example.org', 'https://.cdn.example.net/lib', 'example.org'] });
    expect(res.status).toBe(201);
    const room = await res.json();
    expect(room.config.urlAllowlist).toEqual(['example.org', 'https://.cdn.example.net/lib']);
    expect(runtime.specs.get(room.id)!.urlAllowlist).toEqual(['example.org', 'https://.cdn.example.net/lib']);
    const again = await (await t.app.request(`/api/rooms/${room.id}`, { headers: { cookie } })).json();
    expect(again.config.urlAllowlist).toEqual(['example.org', 'https://.cdn.example.net/lib']);
  });

  it('is optional: none, null and [] all mean every web page', async () => {
    for (const urlAllowlist of [undefined, null, []]) {
      const room = await (await create({ name: 'Open', startUrl: 'https://example.org/', ...(urlAllowlist === undefined ? {} : { urlAllowlist }) })).json();
      expect(room.config.urlAllowlist ?? null).toBeNull();
    }
  });

  it('refuses bad entries with a 400 naming the field, and leaves no room behind', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [['file:///etc'], 'urlAllowlist', /entry 1 .*only http and https/],
      [['ok.org', '*'], 'urlAllowlist', /entry 2 .*wildcards/],
      ['example.org', 'urlAllowlist', /list/],
      [[42], 'urlAllowlist.0', /string/],
      [Array.from({ length: 51 }, (_, i) => `h${i}.org`), 'urlAllowlist', /at most 50/],
      [['other.org'], 'startUrl', /not on the room's URL allowlist/],
    ];
    for (const [urlAllowlist, field, message] of cases) {
      const res = await create({ name: 'Bad', startUrl: 'https://example.org/', urlAllowlist });
      expect(res.status, JSON.stringify(urlAllowlist)).toBe(400);
      const body = await res.json();
      expect(body.error.code).toBe('invalid_argument');
      expect(body.error.field).toBe(field);
      expect(body.error.message).toMatch(message);
    }
    const list = await (await t.app.request('/api/rooms', { headers: { cookie } })).json();
    expect(list.rooms).toEqual([]);
    expect(runtime.calls).toEqual([]);
  });
});
