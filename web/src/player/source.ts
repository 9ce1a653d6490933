/**
 * The seam between the player and the ways a room's picture can travel.
 *
 * A room's configuration lists its web sources in order of preference (`stream.web`: 'fast', the
 * admin service's WebSocket relay, then 'hls' from nginx-rtmp). Several drivers can play one kind:
 * DRIVERS is in order of preference too, so a 'fast' source is played with WebCodecs where the
 * browser has it (a secure context), else remuxed into Media Source Extensions, and 'hls' comes
 * last. The Player around them (player.ts) knows nothing of the kind: it only sees the <video>,
 * and does retries, fallback, autoplay, volume and stats the same way for every path.
 *
 * To add another path (e.g. 'webrtc': an RTCPeerConnection whose stream goes to video.srcObject),
 * write a driver (driver.ts's SourceDriver) in its own file and add it to DRIVERS; the server
 * lists its kind in `stream.web`. The shared shapes live in driver.ts, imported by the drivers
 * and the Player alike: this module imports the drivers and nothing imports it back but the
 * Player, so there is no cycle through it.
 */
import type { PlaybackSource } from '../shared/types.js';
import type { SourceDriver } from './driver.js';
import { choosePath, type Choice, type ChooseOptions } from './choice.js';
import { fastDriver } from './fast.js';
import { mseDriver } from './mse.js';
import { hlsDriver } from './hls.js';

export const DRIVERS: readonly SourceDriver[] = [fastDriver, mseDriver, hlsDriver];

/** The path to play: choice.ts's choosePath over DRIVERS. */
export function chooseSource(sources: readonly PlaybackSource[], opts: ChooseOptions = {}): Choice | null {
  return choosePath(DRIVERS, sources, opts);
}
