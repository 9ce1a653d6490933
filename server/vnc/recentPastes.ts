/**
 * What a driver pasted lately, to tell x11vnc's echoes of a paste from a copy made in the session.
 * x11vnc sends a pasted text back as ServerCutText, more than once: as it is (its cut buffer 0,
 * when its hold on a new client ends) and as the clipboard relay serves it (x11vnc-clipboard: the
 * paste in UTF-8, which x11vnc reads back as Latin-1 bytes). A text from the room equal to either
 * form of one of the last few pastes of the last minute is such an echo, so a pasted password
 * never goes out as a copy.
 */
const MAX_PASTES = 4;
const ECHO_WINDOW_MS = 60_000;

export class RecentPastes {
  private readonly pastes: Array<{ forms: Buffer[]; at: number }> = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** `text`: the ClientCutText bytes (Latin-1, as RFB has them). */
  add(text: Buffer): void {
    this.pastes.push({ forms: [text, Buffer.from(text.toString('latin1'), 'utf8')], at: this.now() });
    if (this.pastes.length > MAX_PASTES) this.pastes.shift();
  }

  isEcho(text: Buffer): boolean {
    const now = this.now();
    return this.pastes.some((p) => now - p.at < ECHO_WINDOW_MS && p.forms.some((f) => f.equals(text)));
  }
}
