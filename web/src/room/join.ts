/**
 * Getting into a room, before the room page proper: the configuration (the password prompt on
 * 401, "not found" on 404/400, retries while the service cannot be reached) and a display name
 * (asked once, remembered on this device).
 */
import { api, ApiError } from '../shared/api.js';
import { h, replaceChildren } from '../shared/dom.js';
import type { Room } from '../shared/types.js';
import { messageScreen, namePrompt, passwordPrompt, storedName, storeName } from './screens.js';

const ROOM_PATH = /^\/rooms\/([a-z2-7]{24})\/?$/;

function show(el: HTMLElement): void {
  replaceChildren(document.getElementById('app')!, el);
}

function loadingScreen(text: string): HTMLElement {
  return h('div', { class: 'screen' }, h('div', { class: 'screen-loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text));
}

function notFound(): null {
  document.title = 'Room not found · streambox';
  show(messageScreen({ icon: 'search', title: 'Room not found', text: 'The link may be mistyped, or the room was deleted. Ask whoever sent it for a new one.' }));
  return null;
}

/** The room of this page's link and the name to join it with; null (after saying so) when there is none. */
export async function join(): Promise<{ room: Room; name: string } | null> {
  const id = ROOM_PATH.exec(location.pathname)?.[1];
  if (!id) return notFound();
  show(loadingScreen('Connecting…'));
  const room = await loadRoom(id);
  if (!room) return notFound();
  document.title = `${room.name} · streambox`;
  let name = storedName();
  if (!name) {
    const prompt = namePrompt(room.name);
    show(prompt.el);
    name = await prompt.done;
    storeName(name);
  }
  return { room, name };
}

/** GET the configuration; handles the password prompt. Null means the room does not exist. */
async function loadRoom(id: string): Promise<Room | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api<Room>('GET', `/api/rooms/${id}/configuration`);
    } catch (err) {
      const e = err as ApiError;
      if (e.status === 404 || e.status === 400) return null;
      if (e.status === 401 && e.code === 'room_password_required') {
        document.title = 'Password · streambox';
        const prompt = passwordPrompt((password) => enter(id, password));
        show(prompt.el);
        await prompt.done;
        show(loadingScreen('Joining…'));
        continue;
      }
      show(loadingScreen(e.status === 0 ? 'Cannot reach streambox. Retrying…' : `The room cannot be loaded (${e.message}). Retrying…`));
      await new Promise((r) => window.setTimeout(r, Math.min(8000, 1000 * 2 ** attempt)));
    }
  }
}

/** POST the room password; throws with the words the prompt shows under the field. */
async function enter(id: string, password: string): Promise<void> {
  try {
    await api('POST', `/api/rooms/${id}/join`, { password });
  } catch (err) {
    const e = err as ApiError;
    if (e.status === 401) throw new Error('Wrong password.');
    if (e.status === 429) throw new Error(`Too many attempts. Try again in ${e.retryAfter ?? 30} s.`);
    if (e.status === 404) throw new Error('This room no longer exists.');
    throw new Error(e.message);
  }
}
