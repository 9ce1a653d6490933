/**
 * The clipboard, both ways, for the driver (issue 14), over the driver's VNC session:
 *
 * - Copy out: when the session's clipboard changes, noVNC reports x11vnc's ServerCutText; we write
 *   it with navigator.clipboard.writeText. That needs a secure context and a focused page, and is
 *   missing on plain HTTP: then a small "Copied from the room" panel shows the text selected, with
 *   a Copy button (a click is a gesture, so the old execCommand('copy') works there too).
 * - Paste in: Ctrl/Cmd+V over the picture is kept from noVNC (which would send the key before the
 *   text) so the browser fires its paste event, which carries the text without any permission; we
 *   send it as ClientCutText and then the V, so the kiosk pastes it. The bar's "Paste" button reads
 *   the clipboard with readText() where the browser allows it, else opens the panel with a field
 *   to paste into.
 *
 * - In a room set to 'everyone', what the session copies also arrives on the room channel for
 *   every participant (roomCopied): viewers get the same clipboard write or panel; the driver, who
 *   has it over VNC already, ignores that copy.
 *
 * RFB's cut text is Latin-1 (x11vnc has no UTF-8 clipboard): noVNC sends other characters as '?',
 * and the driver's copies arrive in Latin-1 (the gateway makes them so; the room channel's copies
 * come whole). The panel says so, and a paste holding such characters says so too. The server decides who may
 * do what (room setting 'off' | 'driver' | 'everyone'); this module only hides what cannot work.
 */
import './clipboard.css';
import { h } from '../shared/dom.js';
import { icon } from '../shared/icons.js';
import { toast } from '../shared/toast.js';

const XK_CONTROL_L = 0xffe3;
const XK_V = 0x0076;
/** How long to wait for the paste event after Ctrl+V before sending the key alone. */
const PASTE_WAIT_MS = 300;
/** Whether the text holds characters RFB's cut text cannot carry. */
const notLatin1 = (text: string) => [...text].some((c) => c.codePointAt(0)! > 0xff);

/** What this module needs of the input link (remoteInput.ts). */
export interface ClipboardInput {
  paste(text: string): void;
  sendKey(keysym: number, code: string | null, down?: boolean): void;
  onClipboard: ((text: string) => void) | null;
}

export type ClipboardSetting = 'off' | 'driver' | 'everyone';

export class RoomClipboard {
  /** The bar's "Paste" button; shown while this participant drives. */
  readonly button: HTMLButtonElement;
  private readonly panel: HTMLElement;
  private readonly title = h('strong', { class: 'clip-title' });
  private readonly field = h('textarea', { class: 'clip-text', rows: 3, spellcheck: false, 'aria-label': 'Clipboard text' }) as HTMLTextAreaElement;
  private readonly action = h('button', { type: 'button', class: 'btn btn-sm btn-primary' });
  private mode: 'copied' | 'paste' = 'copied';
  private driving = false;
  private pendingV: number | null = null;

  constructor(
    private readonly setting: ClipboardSetting,
    stage: HTMLElement,
    target: HTMLElement,
    private readonly input: ClipboardInput,
  ) {
    this.button = h('button', { type: 'button', class: 'btn btn-ghost btn-icon bar-icon clip-btn', 'aria-label': 'Paste into the room', title: 'Paste your clipboard into the room', hidden: true }, icon('copy', 19));
    const close = h('button', { type: 'button', class: 'btn btn-ghost btn-icon clip-close', 'aria-label': 'Close' }, icon('x', 16));
    const note = h('span', { class: 'clip-note' }, "Text only. Characters outside Latin-1 may become '?'.");
    this.panel = h('div', { class: 'clip-panel', role: 'dialog', 'aria-label': 'Clipboard', hidden: true }, h('div', { class: 'clip-head' }, this.title, close), this.field, h('div', { class: 'clip-actions' }, note, this.action));
    stage.append(this.panel);
    close.addEventListener('click', () => this.hide());
    this.action.addEventListener('click', () => void this.act());
    this.button.addEventListener('click', () => void this.pasteFromButton());
    if (setting === 'off') return;
    input.onClipboard = (text) => void this.copiedOut(text);
    // Capture phase on noVNC's target: before noVNC's own key handler on its canvas.
    target.addEventListener('keydown', (ev) => this.onKeyDown(ev), true);
    target.addEventListener('paste', (ev) => this.onPaste(ev), true);
  }

  /** Whether this participant drives with input on (the bar's button follows). */
  setDriving(driving: boolean): void {
    this.driving = driving && this.setting !== 'off';
    this.button.hidden = !this.driving;
    if (!this.driving && this.mode === 'paste') this.hide();
  }

  /** The session copied `text`: into our clipboard, or the panel when the browser will not. */
  async copiedOut(text: string): Promise<void> {
    try {
      if (!window.isSecureContext || !navigator.clipboard?.writeText) throw new Error('no async clipboard');
      await navigator.clipboard.writeText(text);
      toast('Copied from the room', { icon: 'check', tone: 'ok', ms: 2000 });
    } catch {
      this.show('copied', text);
    }
  }

  /** The room channel's copy (only 'everyone' rooms send it): the driver has it over VNC already. */
  roomCopied(text: string): void {
    if (this.setting !== 'everyone' || this.driving) return;
    void this.copiedOut(text);
  }

  private onKeyDown(ev: KeyboardEvent): void {
    if (!this.driving || ev.code !== 'KeyV' || !(ev.ctrlKey || ev.metaKey) || ev.altKey) return;
    // Keep it from noVNC, but not from the browser: its default action is the paste event.
    ev.stopPropagation();
    if (this.pendingV !== null) window.clearTimeout(this.pendingV);
    this.pendingV = window.setTimeout(() => this.sendV(), PASTE_WAIT_MS);
  }

  private onPaste(ev: ClipboardEvent): void {
    if (!this.driving) return;
    ev.preventDefault();
    const text = ev.clipboardData?.getData('text/plain') ?? '';
    if (text) this.input.paste(text);
    if (notLatin1(text)) latin1Warning();
    this.sendV();
  }

  /** V as the session sees it: Control is already down there if the driver holds it. */
  private sendV(): void {
    if (this.pendingV === null) return;
    window.clearTimeout(this.pendingV);
    this.pendingV = null;
    this.input.sendKey(XK_V, 'KeyV');
  }

  private async pasteFromButton(): Promise<void> {
    try {
      if (!window.isSecureContext || !navigator.clipboard?.readText) throw new Error('no async clipboard');
      const text = await navigator.clipboard.readText();
      if (!text) return void toast('Your clipboard has no text', { icon: 'info', ms: 2500 });
      this.pasteIn(text);
    } catch {
      this.show('paste', '');
    }
  }

  /** The text into the session's clipboard, then Ctrl+V into whatever has focus there. */
  private pasteIn(text: string): void {
    this.input.paste(text);
    this.input.sendKey(XK_CONTROL_L, 'ControlLeft', true);
    this.input.sendKey(XK_V, 'KeyV');
    this.input.sendKey(XK_CONTROL_L, 'ControlLeft', false);
    if (notLatin1(text)) latin1Warning();
    else toast('Pasted into the room', { icon: 'check', tone: 'ok', ms: 2000 });
  }

  private show(mode: 'copied' | 'paste', text: string): void {
    this.mode = mode;
    this.title.textContent = mode === 'copied' ? 'Copied from the room' : 'Paste into the room';
    this.field.readOnly = mode === 'copied';
    this.field.value = text;
    this.field.placeholder = mode === 'paste' ? 'Paste here (Ctrl+V), then Send' : '';
    this.action.replaceChildren(icon(mode === 'copied' ? 'copy' : 'check', 15), h('span', null, mode === 'copied' ? 'Copy' : 'Send'));
    this.panel.hidden = false;
    this.field.focus({ preventScroll: true });
    this.field.select();
  }

  private hide(): void {
    this.panel.hidden = true;
  }

  private async act(): Promise<void> {
    if (this.mode === 'paste') {
      if (this.field.value) this.pasteIn(this.field.value);
      return this.hide();
    }
    this.field.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    toast(ok ? 'Copied' : 'Press Ctrl+C to copy the selected text', { icon: ok ? 'check' : 'info', tone: ok ? 'ok' : 'info', ms: 2500 });
    if (ok) this.hide();
  }
}

function latin1Warning(): void {
  toast("Pasted; characters outside Latin-1 arrive in the room as '?'", { icon: 'info', ms: 4000 });
}
