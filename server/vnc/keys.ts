/**
 * Keys that would take the driver out of the kiosk page: Chromium's own shortcuts for new windows
 * and tabs, DevTools, printing, closing, the address bar, view-source, save/open, downloads,
 * history, bookmarks, quitting, and the X server's VT-switch and zap chords. They are dropped
 * while the modifiers the session holds say so; everything else (typing, Ctrl+C/V/X/Z/A/F,
 * arrows, Alt+Left for back) passes.
 *
 * Modifiers are tracked per session from the KeyEvents we forward. x11vnc adds Shift by itself
 * for an upper-case keysym ("modtweak"), so an upper-case letter counts as shifted; Unicode
 * keysyms of ASCII letters (0x01000061 for 'a') map to the same keycodes and count as the letter.
 * The up of a dropped down is dropped too, and a key already down in the session is dropped when
 * it repeats under a blocking chord (holding N, then pressing Ctrl).
 *
 * This is defence in depth: the kiosk's Chromium policies (DevTools, printing, new windows off)
 * are the fence; this keeps the chords from reaching the browser at all.
 */

const SHIFT = new Set([0xffe1, 0xffe2]);
const CTRL = new Set([0xffe3, 0xffe4]);
/** Alt_L/R and Meta_L/R (X maps Meta to Alt). AltGr is ISO_Level3_Shift (0xfe03): not Alt. */
const ALT = new Set([0xffe9, 0xffea, 0xffe7, 0xffe8]);

const K = {
  tab: 0xff09,
  backspace: 0xff08,
  escape: 0xff1b,
  home: 0xff50,
  delete: 0xffff,
  f1: 0xffbe,
  f4: 0xffc1,
  f6: 0xffc3,
  f10: 0xffc7,
  f12: 0xffc9,
} as const;

/** Ctrl+letter: new window/tab, close, print, address bar/search, view-source, save, open, downloads, history, bookmark. */
const CTRL_LETTERS = new Set('ntwplusojhdekq');
/** Ctrl+Shift+letter: incognito, reopen tab, close window, DevTools (I J C), bookmarks bar/manager, profiles, quit, tab search, system print dialog, save, bookmark all. */
const CTRL_SHIFT_LETTERS = new Set('ntwijcbomqapsd');
/** Alt+letter: address bar (D), Chrome menu (F, E). */
const ALT_LETTERS = new Set('dfe');

export interface Modifiers {
  shift: boolean;
  ctrl: boolean;
  alt: boolean;
}

/** The ASCII letter a keysym types (lower case), and whether it implies Shift; else null. */
function letterOf(keysym: number): { letter: string; upper: boolean } | null {
  const code = keysym >= 0x01000000 && keysym <= 0x0100007f ? keysym - 0x01000000 : keysym;
  if (code >= 0x61 && code <= 0x7a) return { letter: String.fromCharCode(code), upper: false };
  if (code >= 0x41 && code <= 0x5a) return { letter: String.fromCharCode(code + 0x20), upper: true };
  return null;
}

/** Should this key (going down) be dropped under these modifiers? */
export function isBlockedChord(keysym: number, mods: Modifiers): boolean {
  // XF86 media/launcher keys (Back, HomePage, Search, Mail, Tools, Close, ...): browser and desktop actions.
  if (keysym >= 0x1008ff00 && keysym <= 0x1008ffff) return true;
  // Control characters as keysyms are not keys; x11vnc could only make something odd of them.
  if (keysym < 0x20) return true;
  // F1 (help opens a tab), F6 (address bar), F10 (browser menu), F12 (DevTools), whatever the modifiers.
  if (keysym === K.f1 || keysym === K.f6 || keysym === K.f10 || keysym === K.f12) return true;
  if (mods.ctrl && mods.alt) {
    // VT switch (Ctrl+Alt+Fn), zap the X server, Ctrl+Alt+Del.
    if (keysym >= K.f1 && keysym <= K.f12) return true;
    if (keysym === K.backspace || keysym === K.delete) return true;
    return false; // AltGr on some layouts arrives as Ctrl+Alt: let characters through.
  }
  const l = letterOf(keysym);
  const shift = mods.shift || (l?.upper ?? false);
  if (mods.ctrl) {
    if (l && (shift ? CTRL_SHIFT_LETTERS : CTRL_LETTERS).has(l.letter)) return true;
    if (keysym === K.f4 || keysym === K.tab || keysym === K.delete) return true; // close tab, switch tab, clear data
    if (keysym >= 0x31 && keysym <= 0x39) return true; // Ctrl+1..9: switch tab
    return false;
  }
  if (mods.alt) {
    if (keysym === K.f4 || keysym === K.home) return true; // close window, home page
    if (l && ALT_LETTERS.has(l.letter)) return true;
    if (l && shift && l.letter === 'i') return true; // Alt+Shift+I: feedback dialog
    return false;
  }
  if (shift && keysym === K.escape) return true; // task manager
  return false;
}

/** Per-session key state: which modifiers are down, which downs were dropped. */
export class KeyGuard {
  private readonly down = new Set<number>();
  private readonly dropped = new Set<number>();

  get modifiers(): Modifiers {
    const any = (set: Set<number>) => [...set].some((k) => this.down.has(k));
    return { shift: any(SHIFT), ctrl: any(CTRL), alt: any(ALT) };
  }

  /** True to pass the KeyEvent on, false to drop it. */
  allow(keysym: number, down: boolean): boolean {
    if (!down) {
      if (this.dropped.delete(keysym)) return false;
      this.down.delete(keysym);
      return true;
    }
    if (isBlockedChord(keysym, this.modifiers)) {
      if (!this.down.has(keysym)) this.dropped.add(keysym);
      return false;
    }
    this.down.add(keysym);
    return true;
  }

  /** Keys down in the session (forwarded and not yet released): what to release at the end. */
  get held(): number[] {
    return [...this.down];
  }

  reset(): void {
    this.down.clear();
    this.dropped.clear();
  }
}
