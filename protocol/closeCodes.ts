/**
 * Every WebSocket close code streambox itself defines (4000-4999, the range RFC 6455 leaves to
 * applications), for its three sockets: the room channel (/events), the fast path (/media) and
 * the VNC gateway (/vnc). Defined once here; the server closes with them and the room page acts
 * on them. A code means the same thing on every socket that uses it.
 */

/** VNC: control moved to someone else; the page stops sending input. */
export const CLOSE_VNC_CONTROL_MOVED = 4001;
/** VNC: too slow (the handshake did not finish, or the socket stopped answering pings). */
export const CLOSE_VNC_TIMEOUT = 4002;
/** Fast path: every seat is taken, or this address holds its share: play HLS instead. */
export const CLOSE_SEATS_FULL = 4003;
/** Channel and fast path: the room was deleted; do not reconnect. */
export const CLOSE_ROOM_DELETED = 4004;
/** Channel and fast path: the admin removed this participant (a kick). */
export const CLOSE_REMOVED = 4010;
/** Channel and fast path: the room's password changed; ask for it again. */
export const CLOSE_PASSWORD_CHANGED = 4011;
/** Channel: a participant cap was hit; the close reason says which. */
export const CLOSE_OVER_CAP = 4029;
