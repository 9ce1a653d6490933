/**
 * Removing people (the admin, on the room page). The server closes a removed participant's
 * channel with 4010 and one whose room password changed with 4011 (server/http/routes/roomAdmin.ts);
 * that page ends (ending.ts) instead of reconnecting.
 */
import { api } from '../shared/api.js';
import { confirmDialog } from '../shared/dialog.js';
import { h } from '../shared/dom.js';
import { toast } from '../shared/toast.js';

interface Removed {
  removed: boolean;
  accessRevoked: boolean;
  canRejoin: boolean;
}

export async function removeParticipant(roomId: string, id: string, name: string): Promise<void> {
  let result: Removed | null = null;
  const ok = await confirmDialog({
    title: `Remove ${name}?`,
    body: [h('p', null, 'Their page closes the room. In a room with a password they need the password again; in an open room anyone with the link can come back, so set a password on the dashboard to keep them out.')],
    confirm: 'Remove',
    danger: true,
    run: async () => {
      result = await api<Removed>('DELETE', `/api/rooms/${roomId}/participants/${encodeURIComponent(id)}`);
    },
  });
  if (!ok || !result) return;
  const r = result as Removed;
  toast(r.canRejoin ? `${name} was removed (this room is open: they can come back with the link)` : `${name} was removed and needs the password to come back`, { icon: 'check', tone: 'ok' });
}
