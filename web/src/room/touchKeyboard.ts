/**
 * The on-screen keyboard on phones, noVNC's own approach (its app/ui.js "keyboardinput"): a
 * hidden textarea is focused to bring the keyboard up; what the keyboard types is read back from
 * the textarea's value (key events from virtual keyboards carry no usable key codes on Android)
 * and sent to the session as X keysyms.
 */
const KEEP = '_'.repeat(64); // text the backspace key can eat without emptying the field

const XK = { BackSpace: 0xff08, Tab: 0xff09, Return: 0xff0d, Escape: 0xff1b, Left: 0xff51, Up: 0xff52, Right: 0xff53, Down: 0xff54, Delete: 0xffff } as const;

const SPECIAL: Record<string, [number, string]> = {
  Enter: [XK.Return, 'Enter'],
  Tab: [XK.Tab, 'Tab'],
  Escape: [XK.Escape, 'Escape'],
  ArrowLeft: [XK.Left, 'ArrowLeft'],
  ArrowUp: [XK.Up, 'ArrowUp'],
  ArrowRight: [XK.Right, 'ArrowRight'],
  ArrowDown: [XK.Down, 'ArrowDown'],
  Delete: [XK.Delete, 'Delete'],
};

/** The X keysym for one typed character (Latin-1 directly, the rest as Unicode keysyms). */
export function keysymForChar(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp === 10 || cp === 13) return XK.Return;
  if (cp === 9) return XK.Tab;
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  return 0x01000000 + cp;
}

export class TouchKeyboard {
  private last = KEEP;

  constructor(
    private readonly field: HTMLTextAreaElement,
    private readonly send: (keysym: number, code: string | null) => void,
    private readonly onActivity: () => void,
  ) {
    field.value = KEEP;
    field.addEventListener('input', () => this.onInput());
    field.addEventListener('keydown', (ev) => {
      const special = SPECIAL[ev.key];
      if (!special) return;
      ev.preventDefault();
      this.send(special[0], special[1]);
      this.onActivity();
    });
    field.addEventListener('blur', () => this.reset());
  }

  get open(): boolean {
    return document.activeElement === this.field;
  }

  toggle(): void {
    if (this.open) this.field.blur();
    else {
      this.reset();
      this.field.focus({ preventScroll: true });
    }
  }

  close(): void {
    if (this.open) this.field.blur();
  }

  private reset(): void {
    this.field.value = KEEP;
    this.last = KEEP;
  }

  private onInput(): void {
    const now = this.field.value;
    const before = this.last;
    // Find where the two differ; what was after that point in `before` was erased, and what is
    // after it in `now` was typed (this also covers autocorrect replacing a word).
    let i = 0;
    const a = [...before];
    const b = [...now];
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    for (let k = i; k < a.length; k++) this.send(XK.BackSpace, 'Backspace');
    for (const ch of b.slice(i)) this.send(keysymForChar(ch), null);
    if (a.length !== i || b.length !== i) this.onActivity();
    if (b.length < 8 || b.length > KEEP.length * 2) this.reset();
    else this.last = now;
  }
}
