/**
 * A live room's health on its dashboard row: the pictures its encoder delivers, who watches on the
 * fast path, and the CPU its processes use (the same figures as /api/metrics). The encoder falling
 * behind is a warning; the rest is quiet text.
 */
import { h } from '../shared/dom.js';
import { plural } from '../shared/format.js';
import { icon } from '../shared/icons.js';
import type { Room } from '../shared/types.js';

const BEHIND_HINT = 'The host is too busy for this room: its encoder delivers fewer pictures than the room’s frame rate. Stop a room, or make this one smaller.';
const CPU_HINT = 'CPU used by the room’s processes (browser, display, sound, input, encoder) over the last few seconds, in % of one core: 200 % is two cores busy.';

/** The chips for the row's state line; none when the room is not meant to run or not measured yet. */
export function healthChips(room: Room): HTMLElement[] {
  const { encoder, usage } = room.status;
  const chips: HTMLElement[] = [];
  if (encoder) {
    const fps = `${Math.round(encoder.fps)} of ${encoder.targetFps} fps`;
    chips.push(encoder.behind ? h('span', { class: 'encoder-behind', title: BEHIND_HINT }, icon('alert', 14), `Encoder behind: ${fps}`) : h('span', { class: 'health', title: 'Pictures per second the encoder delivers, over the last 5 s' }, fps));
  }
  if (usage) {
    if (usage.fastPathViewers > 0) chips.push(h('span', { class: 'health', title: 'Viewers on the fast live view (HLS viewers are not counted)' }, `${plural(usage.fastPathViewers, 'fast viewer')}`));
    if (usage.cpuPercent !== null) chips.push(h('span', { class: 'health', title: CPU_HINT }, `CPU ${usage.cpuPercent} %`));
  }
  return chips.flatMap((chip) => [h('span', { class: 'sep', 'aria-hidden': 'true' }, '·'), chip]).slice(1);
}
