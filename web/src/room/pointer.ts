/**
 * The pointer over the picture: our own marker (where the mouse is now, or the finger while it is
 * down), our position for the others' markers, activity for the idle warning. Viewers: a tap
 * shows or hides the bar, a double click toggles full screen. The clicks themselves reach the room
 * through noVNC (remoteInput.ts), not through here.
 */
import type { BarAutoHide } from './barAutoHide.js';
import { normalizePoint } from './contentRect.js';
import { typingInPage } from './focus.js';
import type { CursorLayer } from './cursors.js';
import type { RoomIntents } from './intents.js';
import { touchLayout } from './skeleton.js';
import { amHolder, type RoomState } from './state.js';

const TOUCH_MARKER_MS = 1500;

export function wirePointer(
  content: HTMLElement,
  deps: { cursors: CursorLayer; bar: BarAutoHide; state: () => RoomState; intents: Pick<RoomIntents, 'pointerAt' | 'activity' | 'toggleFullscreen'> },
): void {
  const { cursors, bar, intents } = deps;
  const driving = () => amHolder(deps.state());
  const opts = { capture: true, passive: true } as const;
  const inside = (ev: PointerEvent) => {
    const r = content.getBoundingClientRect();
    return { own: { x: ev.clientX - r.left, y: ev.clientY - r.top }, at: normalizePoint(ev.clientX, ev.clientY, r) };
  };
  // Browsers send a pointermove without any movement when the page changes under a resting
  // pointer (the bar sliding in, a notice appearing): that is not the driver being active.
  let last = { x: NaN, y: NaN };
  content.addEventListener(
    'pointermove',
    (ev) => {
      if (ev.clientX === last.x && ev.clientY === last.y) return;
      last = { x: ev.clientX, y: ev.clientY };
      const { own, at } = inside(ev);
      const drives = driving();
      cursors.moveOwn(drives ? own : null);
      intents.pointerAt(at.x, at.y);
      if (drives) intents.activity();
    },
    opts,
  );
  content.addEventListener('pointerleave', (ev) => ev.pointerType !== 'touch' && cursors.moveOwn(null), opts);
  // Touch has no hover: show where the finger is while it is down, then fade the marker.
  let touchFade: number | null = null;
  content.addEventListener(
    'pointerdown',
    (ev) => {
      if (ev.pointerType !== 'touch' || !driving()) return;
      const { own, at } = inside(ev);
      cursors.moveOwn(own);
      intents.pointerAt(at.x, at.y);
      if (touchFade !== null) window.clearTimeout(touchFade);
    },
    opts,
  );
  content.addEventListener(
    'pointerup',
    (ev) => {
      if (ev.pointerType !== 'touch') return;
      touchFade = window.setTimeout(() => cursors.moveOwn(null), TOUCH_MARKER_MS);
    },
    opts,
  );
  for (const type of ['pointerdown', 'wheel'] as const) content.addEventListener(type, () => intents.activity(), opts);
  // Typing in the chat is not input to the room: it must not lift the idle warning.
  document.addEventListener('keydown', (ev) => typingInPage(ev.target as Element) || intents.activity(), { capture: true, passive: true });
  content.addEventListener('click', () => {
    if (driving()) return;
    if (touchLayout.matches && !bar.hidden) bar.hide();
    else bar.show();
  });
  content.addEventListener('dblclick', () => {
    if (!driving()) intents.toggleFullscreen();
  });
}
