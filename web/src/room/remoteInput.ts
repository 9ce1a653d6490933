/**
 * Mouse, keyboard and touch into the room, through noVNC's RFB over the admin service's VNC
 * WebSocket. Connected only while this participant holds control.
 *
 * The target element is the video's content rect (see contentRect.ts) and noVNC scales the
 * remote framebuffer (the room's width x height, which x11vnc -nofb still reports) to fit it,
 * so a click at a point of the picture lands at that point of the session. noVNC's canvas is
 * invisible: with -nofb its picture is black; the picture comes from the stream underneath.
 * noVNC's gesture handler turns touch into mouse: tap = click, drag = move, two fingers = scroll.
 * The session's clipboard texts (ServerCutText) go to `onClipboard`; `paste` sends one in (clipboard.ts).
 */
import RFB from '@novnc/novnc';
import { typingInPage } from './focus.js';
import type { InputState } from './state.js';

export type { InputState } from './state.js';

export class RemoteInput {
  private rfb: RFB | null = null;
  private state: InputState = 'off';
  /** The session's clipboard changed (only when the room allows it: the gateway decides). */
  onClipboard: ((text: string) => void) | null = null;

  constructor(
    private readonly target: HTMLElement,
    private readonly hooks: {
      onState(state: InputState): void;
      /** The connection ended without us asking (network, server closed it, control moved). */
      onLost(clean: boolean): void;
    },
  ) {}

  get current(): InputState {
    return this.state;
  }

  connect(url: string): void {
    this.disconnect();
    const rfb = new RFB(this.target, url, { shared: true });
    rfb.scaleViewport = true;
    rfb.clipViewport = false;
    rfb.resizeSession = false;
    rfb.viewOnly = false;
    rfb.focusOnClick = true;
    rfb.showDotCursor = false;
    rfb.background = 'transparent';
    this.rfb = rfb;
    this.setState('connecting');
    rfb.addEventListener('connect', () => {
      if (this.rfb !== rfb) return;
      this.setState('on');
      // Not while they type in the chat: their next keys would land in the session.
      if (!typingInPage()) rfb.focus({ preventScroll: true });
    });
    rfb.addEventListener('clipboard', (ev) => {
      if (this.rfb === rfb) this.onClipboard?.((ev as CustomEvent<{ text: string }>).detail.text);
    });
    rfb.addEventListener('disconnect', (ev) => {
      if (this.rfb !== rfb) return;
      this.rfb = null;
      this.setState('off');
      this.hooks.onLost(Boolean((ev as CustomEvent<{ clean: boolean }>).detail?.clean));
    });
  }

  /** While connected, only the holder may send; flip to view-only the moment control moves. */
  set viewOnly(value: boolean) {
    if (this.rfb) this.rfb.viewOnly = value;
  }

  disconnect(): void {
    const rfb = this.rfb;
    this.rfb = null;
    if (rfb) {
      try {
        rfb.disconnect();
      } catch {
        // already gone
      }
    }
    this.setState('off');
  }

  /** `down` absent: press and release. */
  sendKey(keysym: number, code: string | null, down?: boolean): void {
    this.rfb?.sendKey(keysym, code, down);
  }

  /** Text into the session's clipboard (ClientCutText). */
  paste(text: string): void {
    this.rfb?.clipboardPasteFrom(text);
  }

  focus(): void {
    this.rfb?.focus({ preventScroll: true });
  }

  private setState(state: InputState): void {
    if (state === this.state) return;
    this.state = state;
    this.hooks.onState(state);
  }
}
