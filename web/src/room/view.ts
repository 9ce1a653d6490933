/** What the room page knows at a moment; the bar and overlays are drawn from this. */
import type { PlayerState } from '../player/player.js';
import type { Room } from '../shared/types.js';
import type { ChannelStatus, Me, Participant } from './channel.js';
import type { InputState } from './remoteInput.js';

export interface RoomView {
  room: Room;
  /** The room's state: from the configuration, then from the channel's `room` messages. */
  roomState: string;
  channel: ChannelStatus;
  me: Me | null;
  holder: string | null;
  requests: string[];
  participants: Participant[];
  player: PlayerState;
  input: InputState;
  /** Input keeps failing while we hold control. */
  inputTrouble: boolean;
  /** When control goes if the driver stays idle (performance.now() ms), or null. */
  idleDeadline: number | null;
  muted: boolean;
  /** The browser refused sound without a gesture; we play muted and offer "Tap to unmute". */
  autoplayMuted: boolean;
  volume: number;
  statsOpen: boolean;
  fullscreen: boolean;
  keyboardOpen: boolean;
}

export const amHolder = (v: RoomView) => v.me !== null && v.holder === v.me.id;
export const amRequesting = (v: RoomView) => v.me !== null && v.requests.includes(v.me.id);
export const nameOf = (v: RoomView, id: string | null) => (id ? (v.participants.find((p) => p.id === id)?.name ?? 'someone') : null);
