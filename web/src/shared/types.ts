/**
 * The API's shapes as the pages see them. The room view comes straight from the server's own type
 * (a type-only import: nothing of the server is bundled), so a change there breaks the build here.
 */
import type { RoomView, PlaybackSource } from '../../../server/http/views.js';

export type { PlaybackSource };

export type Room = RoomView;
export type RoomState = Room['status']['state'];
export type MemberRole = keyof NonNullable<Room['status']['members']>;

export interface ApiErrorBody {
  error: { code: string; message: string; field?: string };
}
