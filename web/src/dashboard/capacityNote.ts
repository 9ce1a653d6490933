/**
 * The new-room form's capacity line: asks GET /api/capacity for the size being chosen and says how
 * many more such rooms this host has room for, or, before anyone submits, why CreateRoom would
 * refuse it (the server's own sentence, e.g. "this host runs 2 of 2 1920x1080 30 fps rooms").
 */
import { api } from '../shared/api.js';
import { h } from '../shared/dom.js';
import { icon } from '../shared/icons.js';

/** GET /api/capacity's answer (server/http/routes/capacity.ts). */
interface CapacityAnswer {
  shape: string;
  admitted: boolean;
  message: string;
  roomsThatFit: number | null;
}

export interface Shape {
  width: number;
  height: number;
  fps: number;
}

const ASK_AFTER_MS = 250;

export function capacityNote(): { el: HTMLElement; check(shape: Shape): void } {
  const el = h('div', { class: 'capacity-note', id: 'nr-capacity', 'aria-live': 'polite' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let asked = 0;
  const show = (a: CapacityAnswer | null) => {
    if (!a || (a.admitted && a.roomsThatFit === null)) return el.replaceChildren();
    if (a.admitted) {
      const n = a.roomsThatFit!;
      return el.replaceChildren(h('p', { class: 'hint' }, `This host has room for ${n} more room${n === 1 ? '' : 's'} of this size.`));
    }
    const why = a.message.charAt(0).toUpperCase() + a.message.slice(1);
    el.replaceChildren(h('p', { class: 'field-error' }, icon('alert', 14), h('span', null, `${why}.`)));
  };
  const check = (shape: Shape) => {
    clearTimeout(timer);
    if (![shape.width, shape.height, shape.fps].every((n) => Number.isInteger(n) && n > 0)) return show(null);
    timer = setTimeout(async () => {
      const mine = ++asked;
      const q = new URLSearchParams({ width: String(shape.width), height: String(shape.height), fps: String(shape.fps) });
      const answer = await api<CapacityAnswer>('GET', `/api/capacity?${q}`).catch(() => null);
      if (mine === asked) show(answer); // a later question has not overtaken this one
    }, ASK_AFTER_MS);
  };
  return { el, check };
}
