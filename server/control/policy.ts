/**
 * Who may drive a room. The room page's control arbiter (one holder at a time, requests, idle
 * timeouts) implements this; until then every participant with access to the room may.
 */
export interface Requester {
  participantId: string | null;
  isAdmin: boolean;
}

export interface ControlPolicy {
  mayDrive(roomId: string, who: Requester): boolean;
}

export const anyoneMayDrive: ControlPolicy = { mayDrive: () => true };
