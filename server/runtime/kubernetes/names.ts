/**
 * Names and labels of a room's Kubernetes objects. Pure: no API calls. A room ID (24 characters
 * of [a-z2-7], rooms/ids.ts) is a valid DNS-1123 label, so it goes into names as it is.
 */
import { MEMBER_ROLES, type MemberRole } from '../types.js';

/** Every object the runtime makes carries this, so one label selector finds them all. */
export const APP_LABEL = 'app.kubernetes.io/name';
export const ROOM_APP = 'streambox-room';
/** Which room an object belongs to. */
export const ROOM_LABEL = 'streambox.io/room';
/** What the object is to the room: room (its Pod and Secret), recorder, profile. */
export const COMPONENT_LABEL = 'app.kubernetes.io/component';

export type Component = 'room' | 'recorder' | 'profile';

/** The room's Pod, and its Secret (same name: they are one thing to an operator). */
export function roomPodName(roomId: string): string {
  return `room-${roomId}`;
}

export const roomSecretName = roomPodName;

export function recorderPodName(roomId: string): string {
  return `recorder-${roomId}`;
}

export const recorderSecretName = recorderPodName;

/** The kept browser profile of a room that keeps logins (outlives the Pod; removed with the room). */
export function profileClaimName(roomId: string): string {
  return `profile-${roomId}`;
}

export function labels(roomId: string, component: Component): Record<string, string> {
  return { [APP_LABEL]: ROOM_APP, [ROOM_LABEL]: roomId, [COMPONENT_LABEL]: component };
}

/** Selects every object of every room (the watch), or with a room and component, those. */
export function selector(roomId?: string, component?: Component): string {
  const parts = [`${APP_LABEL}=${ROOM_APP}`];
  if (roomId) parts.push(`${ROOM_LABEL}=${roomId}`);
  if (component) parts.push(`${COMPONENT_LABEL}=${component}`);
  return parts.join(',');
}

/**
 * What a member is called in statuses and failures, as systemd's unit names are
 * (`browser@ID.service` there): the Pod, then the container, as kubectl's `-c` names it.
 */
export function memberUnit(role: MemberRole, roomId: string): string {
  return `${roomPodName(roomId)}/${role}`;
}

export function groupUnit(roomId: string): string {
  return `${roomPodName(roomId)}`;
}

/** The containers are named by role; anything else in the Pod is not a member. */
export function roleOfContainer(name: string): MemberRole | null {
  return (MEMBER_ROLES as readonly string[]).includes(name) ? (name as MemberRole) : null;
}

/** The room an object belongs to, by its label (never by parsing its name). */
export function roomOf(obj: { metadata?: { labels?: Record<string, string> } }): string | null {
  const l = obj.metadata?.labels;
  return l?.[APP_LABEL] === ROOM_APP ? (l[ROOM_LABEL] ?? null) : null;
}
