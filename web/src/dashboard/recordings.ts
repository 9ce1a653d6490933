/**
 * A room's recordings on the dashboard: a dialog listing them (date, duration, size; the one
 * being recorded on top, with its time so far), each with Download (the MP4, a plain link: the
 * browser saves it) and Delete, plus Start / Stop recording and how much of the disk limits the
 * recordings take. GET /api/rooms/:id/recordings, POST .../recording/start|stop, DELETE
 * .../recordings/:rid. While it is open, the list is read again every few seconds.
 */
import './recordings.css';
import { api, ApiError } from '../shared/api.js';
import { confirmDialog, openDialog } from '../shared/dialog.js';
import { h, replaceChildren } from '../shared/dom.js';
import { absoluteTime } from '../shared/format.js';
import { icon } from '../shared/icons.js';
import { toast } from '../shared/toast.js';
import type { Room } from '../shared/types.js';
import type { RecordingView } from '../../../server/recordings/service.js';

/** The server's own shape (a type-only import: nothing of the server is bundled). */
type Recording = RecordingView;

interface Listing {
  recording: { active: boolean; startedAt: string | null; reason: string | null };
  recordings: Recording[];
  storage: { usedBytes: number; freeBytes: number; maxBytes: number; minFreeBytes: number };
}

const REFRESH_MS = 3000;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.round(seconds);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(s >= 3600 ? 2 : 1, '0');
  return `${s >= 3600 ? `${Math.floor(s / 3600)}:` : ''}${mm}:${String(s % 60).padStart(2, '0')}`;
}

/** The row's button that opens the dialog. */
export function recordingsButton(room: () => Room): HTMLButtonElement {
  return h('button', { type: 'button', class: 'btn btn-sm btn-icon btn-ghost rec-open', 'aria-label': `Recordings of ${room().name}`, title: 'Recordings', onclick: () => openRecordingsDialog(room()) }, h('span', { class: 'rec-mark', 'aria-hidden': 'true' }));
}

export function openRecordingsDialog(room: Room): void {
  const list = h('ul', { class: 'recordings-list', 'aria-live': 'polite' });
  const storage = h('p', { class: 'hint recordings-storage' });
  const reason = h('p', { class: 'recordings-reason', hidden: true });
  const toggle = h('button', { type: 'button', class: 'btn btn-sm' });
  let listing: Listing | null = null;

  const load = async () => {
    try {
      listing = await api<Listing>('GET', `/api/rooms/${room.id}/recordings`);
    } catch (err) {
      replaceChildren(list, h('li', { class: 'form-error' }, (err as Error).message));
      return;
    }
    const { recordings, recording, storage: st } = listing;
    replaceChildren(list, ...(recordings.length === 0 ? [h('li', { class: 'muted recordings-empty' }, 'No recordings yet.')] : recordings.map(item)));
    storage.textContent = `Recordings take ${formatBytes(st.usedBytes)} of ${formatBytes(st.maxBytes)}; ${formatBytes(st.freeBytes)} free on the disk (${formatBytes(st.minFreeBytes)} stay free).`;
    reason.hidden = recording.active || !recording.reason;
    reason.textContent = recording.reason ?? '';
    const live = room.status.state === 'live';
    toggle.className = `btn btn-sm ${recording.active ? 'btn-danger' : 'btn-primary'}`;
    toggle.disabled = !recording.active && !live;
    toggle.title = !recording.active && !live ? 'Only a live room can be recorded' : '';
    replaceChildren(toggle, recording.active ? icon('stop', 15) : h('span', { class: 'rec-mark', 'aria-hidden': 'true' }), h('span', null, recording.active ? 'Stop recording' : 'Start recording'));
  };

  const item = (r: Recording) =>
    h(
      'li',
      { class: r.active ? 'recording active' : 'recording', dataset: { id: r.id } },
      h(
        'div',
        { class: 'recording-main' },
        h('span', { class: 'recording-date' }, r.active ? h('span', { class: 'rec-live' }, 'REC') : null, absoluteTime(r.startedAt)),
        h('span', { class: 'recording-facts muted' }, `${formatDuration(r.durationSeconds)} · ${formatBytes(r.bytes)}${!r.active && r.tracks.length > 0 && r.tracks.join('+') !== 'video+audio' ? ` · ${r.tracks.join(', ')}` : ''}`),
      ),
      h(
        'div',
        { class: 'recording-actions' },
        r.active ? null : h('a', { class: 'btn btn-sm btn-ghost', href: `/api/rooms/${room.id}/recordings/${r.id}`, download: '', 'aria-label': `Download the recording of ${absoluteTime(r.startedAt)}` }, icon('external', 14), h('span', null, 'Download')),
        r.active ? null : h('button', { type: 'button', class: 'btn btn-sm btn-icon btn-ghost btn-quiet-danger', 'aria-label': `Delete the recording of ${absoluteTime(r.startedAt)}`, title: 'Delete', onclick: () => void remove(r) }, icon('trash', 14)),
      ),
    );

  const remove = async (r: Recording) => {
    const ok = await confirmDialog({ title: 'Delete this recording?', body: [h('p', null, `${absoluteTime(r.startedAt)}, ${formatDuration(r.durationSeconds)}, ${formatBytes(r.bytes)}.`), h('p', { class: 'muted' }, 'This cannot be undone.')], confirm: 'Delete recording', danger: true });
    if (!ok) return;
    try {
      await api('DELETE', `/api/rooms/${room.id}/recordings/${r.id}`);
      toast('Recording deleted', { icon: 'check', tone: 'ok' });
    } catch (err) {
      toast((err as ApiError).message, { icon: 'alert', tone: 'danger' });
    }
    await load();
  };

  toggle.addEventListener('click', async () => {
    const action = listing?.recording.active ? 'stop' : 'start';
    toggle.disabled = true;
    try {
      await api('POST', `/api/rooms/${room.id}/recording/${action}`, {});
      toast(action === 'start' ? `Recording ${room.name}: everyone in the room sees “REC”` : 'Recording stopped', { icon: 'check', tone: 'ok' });
    } catch (err) {
      toast((err as ApiError).message, { icon: 'alert', tone: 'danger', ms: 8000 });
    }
    await load();
  });

  const close = h('button', { type: 'button', class: 'btn' }, 'Close');
  const timer = window.setInterval(() => void load(), REFRESH_MS);
  const dlg = openDialog({ title: `Recordings of ${room.name}`, body: [h('div', { class: 'recordings-head' }, toggle, reason), list, storage], actions: [close], className: 'recordings-dialog', onClose: () => window.clearInterval(timer) });
  close.addEventListener('click', () => dlg.close());
  void load();
}
