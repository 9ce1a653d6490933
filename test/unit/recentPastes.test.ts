import { describe, expect, it } from 'vitest';
import { RecentPastes } from '../../server/vnc/recentPastes.js';

const latin1 = (s: string) => Buffer.from(s, 'latin1');

describe('RecentPastes: echoes of a paste are not copies', () => {
  it('knows a paste as it was sent and in the UTF-8 form the clipboard relay serves, for a minute', () => {
    let now = 0;
    const pastes = new RecentPastes(() => now);
    pastes.add(latin1('café'));
    expect(pastes.isEcho(latin1('café'))).toBe(true);
    expect(pastes.isEcho(Buffer.from('café', 'utf8')), 'the relay form (read back as Latin-1 bytes)').toBe(true);
    expect(pastes.isEcho(latin1('cafe')), 'another text is a copy').toBe(false);
    now = 59_999;
    expect(pastes.isEcho(latin1('café'))).toBe(true);
    now = 60_000;
    expect(pastes.isEcho(latin1('café')), 'older than a minute: a copy of the same text').toBe(false);
  });

  it('keeps the last four pastes', () => {
    const pastes = new RecentPastes(() => 0);
    for (const t of ['a', 'b', 'c', 'd', 'e']) pastes.add(latin1(t));
    expect(pastes.isEcho(latin1('a'))).toBe(false);
    expect(['b', 'c', 'd', 'e'].every((t) => pastes.isEcho(latin1(t)))).toBe(true);
  });
});
