/**
 * What the room page's views may ask for (types only). Views render from the state (state.ts)
 * and call these; controller.ts carries them out against the channel, the player and the API,
 * and reports back to the store as events. No view imports the controller or the page.
 */
import type { ControlAction } from './state.js';

export interface RoomIntents {
  control(action: ControlAction): void;
  /** The holder hands control to someone who asked (or anyone, from the people list). */
  pass(to: string): void;
  decline(to: string): void;
  /** The admin removes someone (and, in a password room, revokes their access). */
  remove(id: string, name: string): void;
  setMuted(muted: boolean): void;
  /** The slider: a gesture, so sound follows it (0 mutes, above 0 unmutes). */
  setVolume(level: number): void;
  setStats(open: boolean): void;
  toggleFullscreen(): void;
  toggleKeyboard(): void;
  rename(): void;
  /** "Start watching", after the browser refused to play without a gesture. */
  resume(): void;
  /** Our own pointer over the picture, as a fraction (0..1) of it, for the others' markers. */
  pointerAt(x: number, y: number): void;
  /** Our own input (pointer, wheel, keys): lifts the idle warning here. */
  activity(): void;
}
