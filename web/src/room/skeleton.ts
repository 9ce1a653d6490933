/**
 * The room page's fixed elements, built once: the stage (the player's host, the input layer
 * placed over the picture, overlay, notices, stats, the bar's handle), the dock under it (requests
 * and bar) and the hidden field the on-screen keyboard types into. Views fill them; nothing here
 * reacts to anything.
 */
import { h } from '../shared/dom.js';
import { icon } from '../shared/icons.js';

export interface RoomSkeleton {
  stage: HTMLElement;
  /** Where the player puts its <video>. */
  media: HTMLElement;
  /** Exactly over the picture (pictureLayout.ts): noVNC's target and the cursor markers. */
  content: HTMLElement;
  rfbTarget: HTMLElement;
  cursors: HTMLElement;
  overlay: HTMLElement;
  notices: HTMLElement;
  stats: HTMLElement;
  /** Brings the hidden bar back on touch layouts while driving. */
  handle: HTMLButtonElement;
  dock: HTMLElement;
  kbdField: HTMLTextAreaElement;
}

export function buildSkeleton(): RoomSkeleton {
  const rfbTarget = h('div', { class: 'rfb-target' });
  const cursors = h('div', { class: 'cursors', 'aria-hidden': 'true' });
  const content = h('div', { class: 'content' }, rfbTarget, cursors, h('div', { class: 'drive-frame', 'aria-hidden': 'true' }));
  const media = h('div', { class: 'media-host' });
  const overlay = h('div', { class: 'overlay' });
  const notices = h('div', { class: 'notices' });
  const stats = h('div', { class: 'stats', hidden: true, 'aria-label': 'Stream statistics' });
  const handle = h('button', { type: 'button', class: 'bar-handle', 'aria-label': 'Show controls', hidden: true }, icon('chevronDown', 18));
  const stage = h('div', { class: 'stage' }, media, content, overlay, notices, stats, handle);
  const dock = h('div', { class: 'dock' });
  const kbdField = h('textarea', { class: 'kbd-input', 'aria-label': 'Type into the room', autocapitalize: 'off', autocomplete: 'off', spellcheck: false, tabindex: -1 }) as HTMLTextAreaElement;
  return { stage, media, content, rfbTarget, cursors, overlay, notices, stats, handle, dock, kbdField };
}

/** Phones and tablets: bar at the top, touch-first. Same query as room.css. */
export const touchLayout = window.matchMedia('(pointer: coarse), (max-width: 640px)');
