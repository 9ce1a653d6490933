/**
 * Pointers over the picture: the driver's own pointer drawn where the mouse is right now (the
 * streamed cursor follows a few seconds later), and everyone else's as small labelled markers
 * from the channel's `cursor` messages (x, y in 0..1 of the content rect).
 */
import { h } from '../shared/dom.js';
import { personColor } from '../shared/format.js';

const ARROW = '<svg viewBox="0 0 16 20" width="16" height="20" aria-hidden="true"><path d="M1.5 1.5v15.2l4.1-3.9 2.6 5.9 2.6-1.1-2.6-5.8h5.7z" fill="var(--c)" stroke="#fff" stroke-width="1.4" stroke-linejoin="round"/></svg>';
const FADE_AFTER_MS = 4000;

interface Marker {
  el: HTMLElement;
  label: HTMLElement;
  timer: number | null;
}

export class CursorLayer {
  private readonly markers = new Map<string, Marker>();
  private readonly own: HTMLElement;
  private names = new Map<string, string>();
  private holder: string | null = null;

  constructor(private readonly layer: HTMLElement) {
    this.own = h('div', { class: 'cursor own', hidden: true });
    this.own.innerHTML = ARROW;
    this.own.style.setProperty('--c', 'var(--drive)');
    layer.appendChild(this.own);
  }

  /** Who is who (for labels), who drives (drawn stronger); markers of people who left go. */
  setPeople(people: { id: string; name: string }[], holder: string | null): void {
    this.names = new Map(people.map((p) => [p.id, p.name]));
    this.holder = holder;
    for (const [id, m] of this.markers) {
      if (!this.names.has(id)) {
        m.el.remove();
        this.markers.delete(id);
      } else this.style(id, m);
    }
  }

  /** Someone else's pointer moved. */
  move(id: string, x: number, y: number): void {
    let m = this.markers.get(id);
    if (!m) {
      const label = h('span', { class: 'cursor-label' });
      const el = h('div', { class: 'cursor other' }, label);
      el.insertAdjacentHTML('afterbegin', ARROW);
      m = { el, label, timer: null };
      this.markers.set(id, m);
      this.layer.appendChild(el);
    }
    this.style(id, m);
    m.el.style.left = `${x * 100}%`;
    m.el.style.top = `${y * 100}%`;
    m.el.classList.remove('faded');
    if (m.timer !== null) window.clearTimeout(m.timer);
    const marker = m;
    m.timer = window.setTimeout(() => marker.el.classList.add('faded'), FADE_AFTER_MS);
  }

  /** The local pointer, in px inside the layer; null hides it. */
  moveOwn(pos: { x: number; y: number } | null): void {
    if (!pos) {
      this.own.hidden = true;
      return;
    }
    this.own.hidden = false;
    this.own.style.transform = `translate(${pos.x}px, ${pos.y}px)`;
  }

  clear(): void {
    for (const m of this.markers.values()) m.el.remove();
    this.markers.clear();
    this.moveOwn(null);
  }

  private style(id: string, m: Marker): void {
    const name = this.names.get(id) ?? '…';
    m.label.textContent = name;
    m.el.style.setProperty('--c', personColor(name));
    m.el.classList.toggle('driver', id === this.holder);
  }
}
