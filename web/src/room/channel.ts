/**
 * The room channel: one WebSocket per participant (its messages and close codes: protocol/).
 * Reconnects with backoff when it drops, showing the last welcome's ID and key (`resume`): within
 * the server's grace period (30 s; a restart of the admin service included) it is the same
 * participant again, and the driver keeps control; later it is someone new. Either way a fresh
 * welcome comes, so callers reset what they knew about themselves on 'welcome'.
 */
import { CLOSE_OVER_CAP, CLOSE_PASSWORD_CHANGED, CLOSE_REMOVED, CLOSE_ROOM_DELETED } from '../../../protocol/closeCodes.js';
import { channelPath, decodeServerMessage, encodeMessage, type ClientMessage, type ServerMessage } from '../../../protocol/roomChannel.js';

export type { ClientMessage, Me, Participant, ServerMessage } from '../../../protocol/roomChannel.js';
export { CLOSE_OVER_CAP, CLOSE_PASSWORD_CHANGED, CLOSE_REMOVED, CLOSE_ROOM_DELETED } from '../../../protocol/closeCodes.js';

export type ChannelStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ChannelHooks {
  onMessage(msg: ServerMessage): void;
  onStatus(status: ChannelStatus, info: { attempt: number; retryInMs?: number }): void;
  /**
   * The server closed it for good: 'deleted' (4004), 'full' (4029: a participant cap; `detail` is
   * the server's reason, e.g. too many from your address), 'removed' (4010: the admin removed this
   * participant), 'password' (4011: the room's password changed), or 'refused' (upgrade refused
   * repeatedly).
   */
  onEnd(reason: 'deleted' | 'refused' | 'full' | 'removed' | 'password', detail?: string): void;
}

export class RoomChannel {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: number | null = null;
  private closedByUs = false;
  private everOpened = false;
  private failuresBeforeOpen = 0;
  /** `ID.KEY` of the last welcome. */
  private resume: string | null = null;

  constructor(
    private readonly roomId: string,
    private name: string,
    private readonly hooks: ChannelHooks,
  ) {}

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  connect(): void {
    this.closedByUs = false;
    this.open();
  }

  send(msg: ClientMessage): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(encodeMessage(msg));
    return true;
  }

  /** The name to use on the next (re)connection, after a rename. */
  setName(name: string): void {
    this.name = name;
  }

  /** Reconnect now (e.g. the user pressed "retry" or the page became visible). */
  retryNow(): void {
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    this.open();
  }

  close(): void {
    this.closedByUs = true;
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    this.ws?.close(1000, 'leaving');
    this.ws = null;
    this.hooks.onStatus('closed', { attempt: this.attempt });
  }

  private open(): void {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}${channelPath(this.roomId, this.name, this.resume)}`;
    this.hooks.onStatus(this.everOpened ? 'reconnecting' : 'connecting', { attempt: this.attempt });
    const ws = new WebSocket(url);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.everOpened = true;
      this.attempt = 0;
      this.failuresBeforeOpen = 0;
      this.hooks.onStatus('open', { attempt: 0 });
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      const msg = decodeServerMessage(ev.data);
      if (msg?.type === 'welcome') this.resume = `${msg.you.id}.${msg.you.key}`;
      if (msg) this.hooks.onMessage(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closedByUs) return;
      if (ev.code === CLOSE_ROOM_DELETED) {
        this.closedByUs = true;
        this.hooks.onEnd('deleted');
        return;
      }
      // Over a cap: reconnecting at once would only be refused again; the page offers a retry.
      if (ev.code === CLOSE_OVER_CAP) {
        this.closedByUs = true;
        this.hooks.onEnd('full', ev.reason);
        return;
      }
      if (ev.code === CLOSE_REMOVED || ev.code === CLOSE_PASSWORD_CHANGED) {
        this.closedByUs = true;
        this.hooks.onEnd(ev.code === CLOSE_REMOVED ? 'removed' : 'password');
        return;
      }
      if (!opened) this.failuresBeforeOpen++;
      // The upgrade itself keeps failing (404, 401): let the page find out why over HTTP.
      if (this.failuresBeforeOpen === 3) this.hooks.onEnd('refused');
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    const base = Math.min(10_000, 500 * 2 ** this.attempt);
    const wait = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt++;
    this.hooks.onStatus('reconnecting', { attempt: this.attempt, retryInMs: wait });
    this.timer = window.setTimeout(() => {
      this.timer = null;
      this.open();
    }, wait);
  }
}
