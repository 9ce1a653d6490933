/**
 * How the room page ends when its channel is closed for good: the room was deleted, it is full
 * for us, we were removed, or the password changed (then the page reloads and asks for the new
 * one). And, when the channel's upgrade keeps being refused, finding out why over HTTP.
 */
import { api, ApiError } from '../shared/api.js';
import { messageScreen } from './screens.js';
import type { EndReason } from './state.js';

function show(el: HTMLElement): void {
  document.getElementById('app')?.replaceChildren(el);
}

/** The dead end for `reason`; `teardown` stops playing and talking first. */
export function showEnd(reason: EndReason, detail: string | undefined, teardown: () => void): void {
  if (reason === 'password') return void location.reload(); // the page asks for the new password
  teardown();
  if (reason === 'removed') {
    document.title = 'Removed · streambox';
    return show(messageScreen({ icon: 'x', title: 'You were removed from this room', text: 'The host removed you. Ask them if you think this was a mistake.' }));
  }
  if (reason === 'full') {
    const text = `${detail ? `${detail.charAt(0).toUpperCase()}${detail.slice(1)}. ` : ''}Close another tab or device in this room, or try again later.`;
    return show(messageScreen({ icon: 'alert', title: 'No room for you right now', text, action: { label: 'Try again', run: () => location.reload() } }));
  }
  document.title = 'Room deleted · streambox';
  show(messageScreen({ icon: 'trash', title: 'This room was deleted', text: 'Its browser has closed and the link no longer works. Ask the host for a new room.' }));
}

/**
 * The channel's upgrade keeps failing: is the room gone (404: 'deleted'), did its password
 * change (401: 'password'), or is it reachable again (null: the channel keeps retrying)?
 */
export async function whyRefused(roomId: string): Promise<EndReason | null> {
  try {
    await api('GET', `/api/rooms/${roomId}/configuration`);
    return null;
  } catch (err) {
    const e = err as ApiError;
    if (e.status === 401) return 'password';
    if (e.status === 404) return 'deleted';
    return null;
  }
}
