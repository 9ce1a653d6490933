/** Pure logic of the room page: where the picture is, and what a typed character sends. */
import { describe, expect, it } from 'vitest';
import { containRect, normalizePoint, snapRect } from '../../web/src/room/contentRect.js';
import { keysymForChar } from '../../web/src/room/touchKeyboard.js';
import { formatDelay } from '../../web/src/shared/format.js';

describe('the picture inside a letterboxed video (object-fit: contain)', () => {
  it('fills the width of a wide box and centres vertically in a tall one', () => {
    expect(containRect(1920, 1080, 1920, 1080)).toEqual({ x: 0, y: 0, width: 1920, height: 1080 });
    expect(containRect(1920, 1080, 390, 844)).toEqual({ x: 0, y: (844 - 219.375) / 2, width: 390, height: 219.375 });
    expect(containRect(1920, 1080, 1000, 400)).toMatchObject({ y: 0, height: 400, width: 400 * (16 / 9) });
  });

  it('falls back to the whole box before the video knows its size', () => {
    expect(containRect(0, 0, 800, 600)).toEqual({ x: 0, y: 0, width: 800, height: 600 });
  });

  it('snaps edges to whole pixels without drifting', () => {
    expect(snapRect({ x: 0.4, y: 312.3, width: 390.2, height: 219.4 })).toEqual({ x: 0, y: 312, width: 391, height: 220 });
  });

  it('turns a click into a fraction of the picture, clamped', () => {
    const rect = { x: 0, y: 312, width: 390, height: 219 };
    expect(normalizePoint(195, 312 + 109.5, rect)).toEqual({ x: 0.5, y: 0.5 });
    expect(normalizePoint(-10, 1000, rect)).toEqual({ x: 0, y: 1 });
  });
});

describe('on-screen keyboard keysyms', () => {
  it('sends Latin-1 directly, the rest as Unicode keysyms, and Return/Tab by name', () => {
    expect(keysymForChar('a')).toBe(0x61);
    expect(keysymForChar('é')).toBe(0xe9);
    expect(keysymForChar('€')).toBe(0x01000000 + 0x20ac);
    expect(keysymForChar('\n')).toBe(0xff0d);
    expect(keysymForChar('\t')).toBe(0xff09);
  });
});

describe('the delay figure in the stats overlay', () => {
  it('says what each path measures from, in ms under a second', () => {
    expect(formatDelay('fast', 42)).toBe('42 ms after encoding');
    expect(formatDelay('hls', 1340)).toBe('1.3 s behind the live edge');
    expect(formatDelay('hls', null)).toBe('—');
  });
});
