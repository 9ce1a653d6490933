/** The relay's fan-out rules, with sinks whose backlog the test sets. */
import { describe, expect, it } from 'vitest';
import { HIGH_WATER_BYTES, LOW_WATER_BYTES, RoomRelay, type ViewerSink } from '../../server/media/relay.js';
import type { TrackInfo } from '../../server/media/tracks.js';
import { FRAME_HEADER_BYTES, TRACK_AUDIO, TRACK_VIDEO } from '../../server/media/wire.js';

const TRACKS: TrackInfo[] = [
  { kind: 'video', timescale: 90000, codec: 'avc1.42c028', width: 1920, height: 1080, description: Buffer.from([1, 0x42, 0xc0, 0x28]) },
  { kind: 'audio', timescale: 48000, codec: 'mp4a.40.2', sampleRate: 48000, channels: 2, description: Buffer.from([0x11, 0x90]) },
];

class Sink implements ViewerSink {
  messages: (string | Buffer)[] = [];
  backlog = 0;
  send(data: string | Buffer) {
    this.messages.push(data);
  }
  bufferedAmount() {
    return this.backlog;
  }
  frames() {
    return this.messages.filter((m): m is Buffer => typeof m !== 'string').map((m) => ({ track: m[0], key: m[1] === 1, t: m.readDoubleBE(4), bytes: m.length - FRAME_HEADER_BYTES }));
  }
}

/** Publishes `n` video frames (key every `gop`) with an audio frame after each; returns the next index. */
function feed(relay: RoomRelay, from: number, n: number, gop = 15): number {
  for (let i = from; i < from + n; i++) {
    relay.publish({ kind: 'video', time: i * 3000, key: i % gop === 0, data: Buffer.alloc(100 + i) });
    relay.publish({ kind: 'audio', time: i * 1600, key: true, data: Buffer.alloc(10) });
  }
  return from + n;
}

describe('RoomRelay', () => {
  it('gives a joining viewer the decoder setup and every frame since the last key frame', () => {
    const relay = new RoomRelay(() => 1000);
    for (const t of TRACKS) relay.setTrack(t);
    feed(relay, 0, 20); // key frames at 0 and 15
    const sink = new Sink();
    relay.join(sink);
    expect(JSON.parse(sink.messages[0] as string)).toMatchObject({ type: 'init', video: { codec: 'avc1.42c028', codedWidth: 1920 }, audio: { codec: 'mp4a.40.2', numberOfChannels: 2 } });
    const frames = sink.frames();
    expect(frames[0]).toMatchObject({ track: TRACK_VIDEO, key: true, t: (15 * 3000 * 1e6) / 90000 });
    expect(frames.filter((f) => f.track === TRACK_VIDEO)).toHaveLength(5); // frames 15..19
    expect(frames.filter((f) => f.track === TRACK_AUDIO)).toHaveLength(5);
  });

  it('cuts off a backed-up viewer until it drains and a key frame comes, without touching the others', () => {
    const relay = new RoomRelay();
    for (const t of TRACKS) relay.setTrack(t);
    const fast = new Sink();
    const slow = new Sink();
    relay.join(fast);
    relay.join(slow);
    let i = feed(relay, 0, 3);
    slow.backlog = HIGH_WATER_BYTES + 1;
    const before = slow.frames().length;
    i = feed(relay, i, 10);
    expect(slow.frames().length).toBe(before); // nothing more queued on a backed-up socket
    slow.backlog = LOW_WATER_BYTES - 1; // drained, but mid-GOP: still waits
    i = feed(relay, i, 1); // frame 13
    expect(slow.frames().length).toBe(before);
    i = feed(relay, i, 3); // frames 14, 15 (key), 16
    const resumed = slow.frames().slice(before);
    expect(resumed[0]).toMatchObject({ track: TRACK_VIDEO, key: true });
    expect(fast.frames()).toHaveLength(i * 2); // every frame, nothing skipped
    expect(relay.stats().resyncs).toBe(1);
  });

  it('keeps at most one GOP for joiners, however long the stream runs', () => {
    const relay = new RoomRelay();
    for (const t of TRACKS) relay.setTrack(t);
    feed(relay, 0, 30 * 60); // a minute at 30 fps
    const sink = new Sink();
    relay.join(sink);
    expect(sink.frames().filter((f) => f.track === TRACK_VIDEO).length).toBeLessThanOrEqual(15);
  });

  it('sends a changed decoder setup to everyone, then waits for its key frame; the same setup again changes nothing', () => {
    const relay = new RoomRelay();
    for (const t of TRACKS) relay.setTrack(t);
    const sink = new Sink();
    relay.join(sink);
    feed(relay, 0, 5);
    let n = sink.messages.length;
    for (const t of TRACKS) relay.setTrack(t); // an encoder restart with the same settings
    expect(sink.messages.length).toBe(n);
    relay.setTrack({ ...TRACKS[0]!, codec: 'avc1.42c01f', description: Buffer.from([1, 0x42, 0xc0, 0x1f]) } as TrackInfo);
    expect(JSON.parse(sink.messages.at(-1) as string)).toMatchObject({ type: 'init', video: { codec: 'avc1.42c01f' } });
    n = sink.messages.length;
    relay.publish({ kind: 'video', time: 0, key: false, data: Buffer.alloc(5) });
    expect(sink.messages.length).toBe(n);
    relay.publish({ kind: 'video', time: 3000, key: true, data: Buffer.alloc(5) });
    expect(sink.messages.length).toBe(n + 1);
  });

  it('a viewer that joins before the encoder gets the setup as soon as it comes', () => {
    const relay = new RoomRelay();
    const sink = new Sink();
    relay.join(sink);
    expect(sink.messages).toHaveLength(0);
    for (const t of TRACKS) relay.setTrack(t);
    feed(relay, 0, 2);
    expect(JSON.parse(sink.messages[0] as string).type).toBe('init');
    expect(sink.frames()[0]).toMatchObject({ key: true });
  });
});
