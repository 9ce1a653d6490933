/**
 * A room's idle stop and time limit on the dashboard: when a running room's time runs out, with
 * "Extend" (POST /api/rooms/:id/extend: a new session), and the rules in its details.
 */
import { api, ApiError } from '../shared/api.js';
import { h } from '../shared/dom.js';
import { icon } from '../shared/icons.js';
import { toast } from '../shared/toast.js';
import type { Room } from '../shared/types.js';

/** "45 min", "2 h", "1 h 30 min", "15 s". */
export function minutesWords(minutes: number): string {
  if (minutes < 1) return `${Math.round(minutes * 60)} s`;
  const hours = Math.floor(minutes / 60);
  const rest = Math.round(minutes - hours * 60);
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** For the state line: "Time limit: ends 15:42" and Extend, while a limited room runs. */
export function sessionNote(room: Room, refresh: () => Promise<void>): HTMLElement | null {
  const endsAt = room.session.endsAt;
  if (!endsAt || room.status.desiredState !== 'running') return null;
  const time = new Date(endsAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  const extend = h('button', { type: 'button', class: 'btn btn-xs', title: `Give it another ${minutesWords(room.session.maxDurationMinutes)} from now`, 'aria-label': `Extend ${room.name}` }, 'Extend');
  extend.addEventListener('click', async () => {
    extend.disabled = true;
    try {
      await api('POST', `/api/rooms/${room.id}/extend`);
      await refresh();
    } catch (err) {
      toast(`Could not extend “${room.name}”: ${(err as ApiError).message}`, { tone: 'danger', icon: 'alert', ms: 6000 });
    } finally {
      extend.disabled = false;
    }
  });
  return h('span', { class: 'session-note', title: `Stops at ${new Date(endsAt).toLocaleString()} (its time limit)` }, icon('clock', 14), `Ends ${time}`, extend);
}

/** For the details: the rules in force. */
export function sessionFacts(room: Room): HTMLElement[] {
  const { idleStopMinutes, maxDurationMinutes } = room.session;
  return [
    h('dt', null, 'When nobody is in it'),
    h('dd', null, idleStopMinutes === 0 ? 'Keeps running' : `Stops after ${minutesWords(idleStopMinutes)}; opening its link starts it again`),
    h('dt', null, 'Time limit'),
    h('dd', null, maxDurationMinutes === 0 ? 'None' : `${minutesWords(maxDurationMinutes)} per session; everyone is warned before`),
  ];
}
