/**
 * The room page (/rooms/:id): boots and wires, nothing else. join.ts gets the room and a name;
 * then one store (state.ts, reduce.ts, store.ts) holds what the page knows, the controller
 * (controller.ts) connects it to the channel, the player and noVNC, and the views render from it
 * and send intents: bar (with people and requests), overlay, notices, stats, cursors, the pointer,
 * the bar's auto-hide and the picture's layout.
 */
import '../shared/base.css';
import './room.css';
import { replaceChildren } from '../shared/dom.js';
import type { Room } from '../shared/types.js';
import { Bar } from './bar.js';
import { BarAutoHide } from './barAutoHide.js';
import { ChatPanel } from './chat.js';
import { RoomController } from './controller.js';
import { CursorLayer } from './cursors.js';
import { join } from './join.js';
import { Notices } from './notices.js';
import { Overlay } from './overlay.js';
import { PictureLayout } from './pictureLayout.js';
import { ReactionLayer } from './reactions.js';
import { RecordingView } from './recording.js';
import { wirePointer } from './pointer.js';
import { canSound, storedVolume } from './prefs.js';
import { buildSkeleton } from './skeleton.js';
import { amHolder, initialState, wantsPicture, type RoomState } from './state.js';
import { StatsPanel } from './statsPanel.js';
import { createStore } from './store.js';

function mountRoom(room: Room, name: string): void {
  const app = document.getElementById('app')!;
  const dom = buildSkeleton();
  const sound = canSound();
  const initial = initialState(room, { name, canSound: sound, volume: storedVolume() });
  const cursors = new CursorLayer(dom.cursors);
  const reactions = new ReactionLayer();
  const recording = new RecordingView(room.id);
  let layout: PictureLayout | null = null;
  const controller = new RoomController({
    room,
    name,
    dom,
    cursors,
    reactions,
    onPictureSize: () => layout?.place(),
    sound: { muted: initial.muted, volume: initial.volume },
    forcePath: new URLSearchParams(location.search).get('path'),
    onRecording: (m) => recording.show(m),
  });
  const store = createStore(initial, (effect) => controller.run(effect));
  layout = new PictureLayout(app, dom.stage, dom.content, () => controller.player.video, room.config);

  const bar = new Bar(controller);
  bar.addMediaButton(controller.clipboard.button);
  const autoHide = new BarAutoHide(dom.dock, app, dom.handle, () => bar.needsAttention);
  const overlay = new Overlay(dom.overlay, app, controller);
  const notices = new Notices(dom.notices, controller);
  const chat = new ChatPanel(app, controller);
  bar.addMediaButton(chat.button);
  bar.addMediaButton(recording.button);
  const stats = new StatsPanel(dom.stats, () => controller.player.stats(), controller);
  const render = (s: RoomState, before: RoomState | null) => {
    app.classList.toggle('driving', amHolder(s) && wantsPicture(s));
    app.classList.toggle('input-on', s.input === 'on');
    app.classList.toggle('playing', s.player === 'playing');
    if (!before || s.participants !== before.participants || s.holder !== before.holder) cursors.setPeople(s.participants, s.holder);
    bar.update(s);
    overlay.update(s);
    notices.update(s);
    stats.update(s);
    chat.update(s);
    recording.update(s);
    if (before && s.chat.unread > before.chat.unread) autoHide.show(); // the badge is seen
    autoHide.update(s);
  };
  store.subscribe(render);

  dom.dock.append(bar.requestsEl, bar.el);
  app.className = 'room-app';
  dom.stage.append(reactions.el, recording.indicator);
  replaceChildren(app, dom.stage, chat.el, dom.dock, dom.kbdField);
  layout.watch(dom.dock);
  document.addEventListener('fullscreenchange', () => {
    store.dispatch({ type: 'fullscreen', on: document.fullscreenElement !== null });
    layout?.place();
  });
  dom.kbdField.addEventListener('focus', () => store.dispatch({ type: 'keyboard', open: true }));
  dom.kbdField.addEventListener('blur', () => store.dispatch({ type: 'keyboard', open: false }));
  wirePointer(dom.content, { cursors, bar: autoHide, state: () => store.state, intents: controller });

  controller.attach(store);
  layout.place();
  render(store.state, null);
  autoHide.show();
  // Back from the back/forward cache: the channel was closed on the way out; start afresh.
  window.addEventListener('pageshow', (ev) => {
    if (ev.persisted) location.reload();
  });
}

void join().then((joined) => joined && mountRoom(joined.room, joined.name));
