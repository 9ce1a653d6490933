/**
 * Recording, on the room page: the "REC" indicator with the time recorded so far, for everyone
 * (top left of the picture, never hidden with the bar), and the bar's record button for the
 * driver and the admin. What is recorded comes from the room channel's `recording` message (on
 * joining and on every change); the button calls StartRecording / StopRecording, the driver
 * proving who they are with the channel's participant ID and key. A recording that ended by
 * itself (disk limit, the room stopped) is told to everyone with its reason. Not page state:
 * nothing else on the page depends on it.
 */
import './recording.css';
import { api, ApiError } from '../shared/api.js';
import { h } from '../shared/dom.js';
import { icon } from '../shared/icons.js';
import { toast } from '../shared/toast.js';
import type { ServerMessage } from '../../../protocol/roomChannel.js';
import { amHolder, type RoomState } from './state.js';

type RecordingMessage = Extract<ServerMessage, { type: 'recording' }>;

/** m:ss, or h:mm:ss past an hour. */
export function elapsedText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

export class RecordingView {
  readonly indicator = h('div', { class: 'rec-indicator', hidden: true, role: 'status', 'aria-live': 'polite' });
  readonly button: HTMLButtonElement;
  private readonly time = h('span', { class: 'rec-time' });
  private active: RecordingMessage | null = null;
  private timer: number | null = null;
  private state: RoomState | null = null;
  private busy = false;
  private heard = false;

  constructor(private readonly roomId: string) {
    this.indicator.append(h('span', { class: 'rec-dot', 'aria-hidden': 'true' }), h('span', { class: 'rec-label' }, 'REC'), this.time);
    this.button = h('button', { type: 'button', class: 'btn btn-ghost btn-icon bar-icon rec-btn', hidden: true });
    this.button.addEventListener('click', () => void this.toggle());
    this.render();
  }

  /** The channel's `recording` message. */
  show(m: RecordingMessage): void {
    const wasActive = this.active !== null;
    this.active = m.active ? m : null;
    if (this.heard && wasActive && !m.active && m.reason) toast(m.reason, { tone: 'warn', icon: 'alert', ms: 8000 });
    else if (this.heard && !wasActive && m.active) toast('Recording started: everyone in the room sees “REC”', { tone: 'info' });
    this.heard = true;
    this.render();
  }

  update(s: RoomState): void {
    this.state = s;
    this.render();
  }

  private get mayRecord(): boolean {
    const s = this.state;
    return !!s && s.channel === 'open' && s.me !== null && (s.me.isAdmin || amHolder(s));
  }

  private render(): void {
    const on = this.active !== null;
    this.indicator.hidden = !on;
    this.indicator.setAttribute('aria-label', on ? 'This room is being recorded' : '');
    this.indicator.title = on ? `Recording since ${new Date(this.active!.startedAt!).toLocaleTimeString()}` : '';
    if (on && this.timer === null) this.timer = window.setInterval(() => this.tick(), 1000);
    if (!on && this.timer !== null) {
      window.clearInterval(this.timer);
      this.timer = null;
    }
    this.tick();
    this.button.hidden = !this.mayRecord;
    this.button.disabled = this.busy || !this.mayRecord;
    const label = on ? 'Stop recording' : 'Start recording';
    this.button.setAttribute('aria-label', label);
    this.button.title = label;
    this.button.classList.toggle('recording', on);
    this.button.replaceChildren(on ? icon('stop', 18) : h('span', { class: 'rec-btn-dot', 'aria-hidden': 'true' }));
  }

  private tick(): void {
    if (this.active?.startedAt) this.time.textContent = elapsedText(Date.now() - Date.parse(this.active.startedAt));
  }

  private async toggle(): Promise<void> {
    const me = this.state?.me;
    if (!me || this.busy) return;
    this.busy = true;
    this.render();
    const action = this.active ? 'stop' : 'start';
    try {
      await api('POST', `/api/rooms/${this.roomId}/recording/${action}`, me.isAdmin ? {} : { participantId: me.id, participantKey: me.key });
      if (action === 'stop') toast('Recording stopped; the admin finds it on the dashboard', { tone: 'ok' });
    } catch (err) {
      toast(err instanceof ApiError ? err.fieldMessage : 'The recording could not be changed', { tone: 'danger', icon: 'alert', ms: 7000 });
    } finally {
      this.busy = false;
      this.render();
    }
  }
}
