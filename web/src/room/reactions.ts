/**
 * Reactions over the picture: each one floats up from the lower right with the sender's name and
 * fades (CSS), then is removed. The emoji come from the fixed set the server accepts
 * (protocol/chat.ts), set as text; a burst shows at most MAX_SHOWN at once. Not page state.
 */
import type { Reaction } from '../../../protocol/chat.js';
import { h } from '../shared/dom.js';

const MAX_SHOWN = 12;
const LIFETIME_MS = 2600;

export class ReactionLayer {
  readonly el = h('div', { class: 'reactions', 'aria-hidden': 'true' });

  show(emoji: Reaction, name: string): void {
    while (this.el.childElementCount >= MAX_SHOWN) this.el.firstElementChild?.remove();
    const drift = Math.round(Math.random() * 120);
    const item = h('div', { class: 'reaction', style: { right: `${24 + drift}px` } }, h('span', { class: 'reaction-emoji' }, emoji), h('span', { class: 'reaction-name' }, name));
    this.el.append(item);
    window.setTimeout(() => item.remove(), LIFETIME_MS);
  }
}
