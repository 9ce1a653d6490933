/**
 * The chat panel and its button in the bar (with the unread badge). Desktop: a column at the
 * right, and the picture shrinks beside it; phones in portrait: a bottom sheet under the picture.
 * Names and text are set with textContent only (never markup); http(s) links open in the
 * participant's own browser (target=_blank, rel=noopener noreferrer), never in the session.
 * Keys typed here stay here: noVNC listens on its own canvas, and the field stops them from
 * reaching the page's other key handlers (Escape closes the panel).
 */
import './chat.css';
import { CHAT_TEXT_MAX_CHARS, REACTIONS, type ChatEntry, type Reaction } from '../../../protocol/chat.js';
import { h, replaceChildren } from '../shared/dom.js';
import { personColor } from '../shared/format.js';
import { icon } from '../shared/icons.js';
import { linkRuns } from './chatText.js';
import { touchLayout } from './skeleton.js';
import { amHolder, type RoomState } from './state.js';

/** What the panel may ask for (controller.ts carries it out). */
export interface ChatIntents {
  /** Says `text` in the room's chat; false when the channel is not open (nothing went out). */
  sendChat(text: string): boolean;
  /** Empties the room's chat for everyone (the driver or the admin). */
  clearChat(): void;
  react(emoji: Reaction): void;
  setChatOpen(open: boolean): void;
}

/** Show the counter once the text gets this close to the limit. */
const COUNTER_FROM = CHAT_TEXT_MAX_CHARS - 60;

export class ChatPanel {
  readonly el: HTMLElement;
  readonly button: HTMLButtonElement;
  private readonly badge = h('span', { class: 'chat-badge', hidden: true, 'aria-hidden': 'true' });
  private readonly list = h('ol', { class: 'chat-list', role: 'log', 'aria-live': 'polite', 'aria-label': 'Chat messages' });
  private readonly empty = h('p', { class: 'chat-empty' }, 'No messages yet. Say hello — everyone in the room sees it.');
  private readonly field = h('input', { type: 'text', class: 'input chat-field', placeholder: 'Message everyone…', maxlength: CHAT_TEXT_MAX_CHARS, autocomplete: 'off', enterkeyhint: 'send', 'aria-label': 'Chat message' }) as HTMLInputElement;
  private readonly counter = h('span', { class: 'chat-counter', hidden: true });
  private readonly error = h('p', { class: 'chat-error', role: 'alert', hidden: true });
  private readonly clearBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-sm chat-clear', title: 'Clear the chat for everyone' }, 'Clear');
  private readonly shown = new Map<string, HTMLElement>();
  private state: RoomState | null = null;
  private lastSent = '';

  constructor(
    private readonly app: HTMLElement,
    private readonly intents: ChatIntents,
  ) {
    this.button = h('button', { type: 'button', class: 'btn btn-ghost btn-icon bar-icon chat-btn', 'aria-label': 'Chat', title: 'Chat', 'aria-pressed': 'false' }, icon('chat', 19), this.badge);
    this.button.addEventListener('click', () => this.intents.setChatOpen(!(this.state?.chat.open ?? false)));
    this.clearBtn.addEventListener('click', () => this.intents.clearChat());
    const close = h('button', { type: 'button', class: 'btn btn-ghost btn-icon btn-sm', 'aria-label': 'Close chat', title: 'Close chat', onclick: () => this.close() }, icon('x', 16));
    const reactions = h(
      'div',
      { class: 'chat-reactions', role: 'group', 'aria-label': 'React over the picture' },
      ...REACTIONS.map((emoji) => h('button', { type: 'button', class: 'chat-reaction', 'aria-label': `React ${emoji}`, title: 'React over the picture', onclick: () => this.intents.react(emoji) }, emoji)),
    );
    const send = h('button', { type: 'submit', class: 'btn btn-primary btn-icon chat-send', 'aria-label': 'Send', title: 'Send (Enter)' }, icon('send', 17));
    const form = h('form', { class: 'chat-form' }, this.field, send);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.submit();
    });
    this.field.addEventListener('keydown', (ev) => {
      ev.stopPropagation(); // the page's own shortcuts (Escape for popovers, Tab for the bar) stay out
      if (ev.key === 'Escape') this.close();
    });
    this.field.addEventListener('input', () => this.drawCounter());
    this.el = h(
      'aside',
      { class: 'chat-panel', 'aria-label': 'Chat', hidden: true },
      h('header', { class: 'chat-head' }, icon('chat', 17), h('h2', null, 'Chat'), h('span', { class: 'bar-spacer' }), this.clearBtn, close),
      h('div', { class: 'chat-scroll' }, this.empty, this.list),
      h('div', { class: 'chat-compose' }, reactions, form, h('div', { class: 'chat-foot' }, this.error, this.counter)),
    );
  }

  update(s: RoomState): void {
    const before = this.state;
    this.state = s;
    const c = s.chat;
    const opened = c.open && !(before?.chat.open ?? false);
    this.el.hidden = !c.open;
    this.app.classList.toggle('chat-open', c.open);
    this.button.setAttribute('aria-pressed', String(c.open));
    this.badge.hidden = c.unread === 0;
    this.badge.textContent = c.unread > 9 ? '9+' : String(c.unread);
    this.button.setAttribute('aria-label', c.unread ? `Chat, ${c.unread} unread` : 'Chat');
    this.clearBtn.hidden = !(s.me?.isAdmin || amHolder(s)) || !c.entries.some((e) => e.kind !== 'cleared');
    this.error.hidden = c.error === null;
    this.error.textContent = c.error ?? '';
    if (c.refusals !== (before?.chat.refusals ?? 0) && this.field.value === '') this.field.value = this.lastSent; // not lost
    if (c.entries !== before?.chat.entries || opened) this.drawEntries(s, opened);
    if (opened && !touchLayout.matches) this.field.focus({ preventScroll: true }); // on touch: no keyboard popping up unasked
  }

  private close(): void {
    this.intents.setChatOpen(false);
    this.button.focus({ preventScroll: true });
  }

  private submit(): void {
    const text = this.field.value.trim();
    if (!text) return;
    this.lastSent = text;
    if (this.intents.sendChat(text)) this.field.value = '';
    this.drawCounter();
  }

  private drawCounter(): void {
    const n = [...this.field.value].length;
    this.counter.hidden = n < COUNTER_FROM;
    this.counter.textContent = `${n}/${CHAT_TEXT_MAX_CHARS}`;
  }

  private drawEntries(s: RoomState, opened: boolean): void {
    const scroller = this.list.parentElement!;
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
    const keys = new Set<string>();
    let mineAdded = false;
    for (const e of s.chat.entries) {
      const key = `${e.at}:${e.seq}`;
      keys.add(key);
      if (this.shown.has(key)) continue;
      const el = entryView(e, s.me?.id ?? null);
      this.shown.set(key, el);
      this.list.append(el);
      if (e.kind === 'message' && e.from === s.me?.id) mineAdded = true;
    }
    for (const [key, el] of this.shown) {
      if (keys.has(key)) continue;
      el.remove();
      this.shown.delete(key);
    }
    this.empty.hidden = s.chat.entries.some((e) => e.kind === 'message');
    if (atBottom || mineAdded || opened) scroller.scrollTop = scroller.scrollHeight;
  }
}

const timeOf = (at: number) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function entryView(e: ChatEntry, me: string | null): HTMLElement {
  const time = h('time', { class: 'chat-time', dateTime: new Date(e.at).toISOString(), title: new Date(e.at).toLocaleString() }, timeOf(e.at));
  if (e.kind !== 'message') return h('li', { class: `chat-notice chat-${e.kind}` }, h('span', null, noticeText(e)), time);
  const name = h('span', { class: 'chat-name', style: { color: personColor(e.name) } }, e.name, e.from === me ? h('span', { class: 'muted' }, ' (you)') : null);
  const text = h('p', { class: 'chat-text' });
  replaceChildren(text, ...linkRuns(e.text).map((r) => ('url' in r ? h('a', { href: r.url, target: '_blank', rel: 'noopener noreferrer' }, r.url) : r.text)));
  return h('li', { class: `chat-message${e.from === me ? ' mine' : ''}` }, h('div', { class: 'chat-meta' }, name, time), text);
}

function noticeText(e: Exclude<ChatEntry, { kind: 'message' }>): string {
  switch (e.kind) {
    case 'joined':
      return `${e.name} joined`;
    case 'left':
      return `${e.name} left`;
    case 'control':
      return e.name ? `${e.name} is driving` : 'Nobody is driving';
    case 'cleared':
      return `${e.name} cleared the chat`;
  }
}
