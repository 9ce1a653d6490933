/**
 * Who may drive a room: the seam between VNC tokens and the rules that decide. The control
 * arbiter (arbiter.ts: one holder at a time, requests, idle timeouts) implements it; tests of
 * the seam pass their own.
 */
export interface Requester {
  participantId: string | null;
  isAdmin: boolean;
}

export interface ControlPolicy {
  mayDrive(roomId: string, who: Requester): boolean;
}
