/**
 * Turns decoded VideoFrames and AudioData into a MediaStream that plays in an ordinary <video>
 * (the shell's, shell.ts), so the page's layout, the Player's volume and mute, and full screen
 * work the same on every path.
 *
 * - Chromium: MediaStreamTrackGenerator tracks, written frame by frame (the same rendering path
 *   as a WebRTC track: nothing is buffered beyond what the browser needs to show it).
 * - Elsewhere (Safari, Firefox): the picture is drawn on a canvas captured as a track, and the
 *   sound is scheduled in WebAudio just ahead of its output into a MediaStream destination.
 */

interface TrackGenerator extends MediaStreamTrack {
  readonly writable: WritableStream<VideoFrame | AudioData>;
}
type TrackGeneratorCtor = new (init: { kind: 'video' | 'audio' }) => TrackGenerator;

function generatorCtor(): TrackGeneratorCtor | null {
  return (window as unknown as { MediaStreamTrackGenerator?: TrackGeneratorCtor }).MediaStreamTrackGenerator ?? null;
}

export interface FrameOutput {
  readonly stream: MediaStream;
  /** Shows the frame now; takes ownership (closes it). */
  showVideo(frame: VideoFrame): void;
  /** Plays the sound as soon as it can; takes ownership (closes it). */
  playAudio(data: AudioData): void;
  close(): void;
}

export function frameOutputSupported(): boolean {
  return generatorCtor() !== null || (typeof HTMLCanvasElement.prototype.captureStream === 'function' && typeof AudioContext !== 'undefined');
}

export function createFrameOutput(): FrameOutput {
  const Generator = generatorCtor();
  return Generator ? generatorOutput(Generator) : canvasOutput();
}

/** At most this many pictures wait in the generator's queue; beyond, new ones are dropped (live). */
const MAX_QUEUED_VIDEO = 2;
/** Sound is a continuous queue: a late chunk waits rather than being dropped, up to ~0.2 s. */
const MAX_QUEUED_AUDIO = 10;

function generatorOutput(Generator: TrackGeneratorCtor): FrameOutput {
  const video = new Generator({ kind: 'video' });
  const audio = new Generator({ kind: 'audio' });
  const videoWriter = video.writable.getWriter();
  const audioWriter = audio.writable.getWriter();
  let pendingVideo = 0;
  let pendingAudio = 0;
  let closed = false;
  const write = (writer: WritableStreamDefaultWriter<VideoFrame | AudioData>, item: VideoFrame | AudioData, pending: number, limit: number, done: () => void): boolean => {
    if (closed || pending >= limit) {
      item.close();
      return false;
    }
    writer.write(item).then(done, () => {
      done();
      item.close();
    });
    return true;
  };
  return {
    stream: new MediaStream([video, audio]),
    showVideo(frame) {
      if (write(videoWriter, frame, pendingVideo, MAX_QUEUED_VIDEO, () => pendingVideo--)) pendingVideo++;
    },
    playAudio(data) {
      if (write(audioWriter, data, pendingAudio, MAX_QUEUED_AUDIO, () => pendingAudio--)) pendingAudio++;
    },
    close() {
      closed = true;
      void videoWriter.close().catch(() => undefined);
      void audioWriter.close().catch(() => undefined);
      video.stop();
      audio.stop();
    },
  };
}

/** Sound scheduled ahead of the output by this much absorbs network and decoder jitter. */
const AUDIO_LEAD_S = 0.04;
/** If the scheduled sound runs further ahead than this, it is behind live: restart the queue. */
const AUDIO_MAX_AHEAD_S = 0.25;

function canvasOutput(): FrameOutput {
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', { alpha: false, desynchronized: true });
  const stream = canvas.captureStream();
  const audioCtx = new AudioContext({ latencyHint: 'interactive' });
  const destination = audioCtx.createMediaStreamDestination();
  for (const t of destination.stream.getAudioTracks()) stream.addTrack(t);
  let nextAt = 0;
  return {
    stream,
    showVideo(frame) {
      if (canvas.width !== frame.displayWidth || canvas.height !== frame.displayHeight) {
        canvas.width = frame.displayWidth;
        canvas.height = frame.displayHeight;
      }
      g?.drawImage(frame, 0, 0);
      frame.close();
    },
    playAudio(data) {
      if (audioCtx.state === 'suspended') void audioCtx.resume().catch(() => undefined);
      const buffer = audioCtx.createBuffer(data.numberOfChannels, data.numberOfFrames, data.sampleRate);
      for (let c = 0; c < data.numberOfChannels; c++) {
        data.copyTo(buffer.getChannelData(c), { planeIndex: c, format: 'f32-planar' });
      }
      data.close();
      const now = audioCtx.currentTime;
      if (nextAt < now || nextAt > now + AUDIO_MAX_AHEAD_S) nextAt = now + AUDIO_LEAD_S;
      const node = audioCtx.createBufferSource();
      node.buffer = buffer;
      node.connect(destination);
      node.start(nextAt);
      nextAt += buffer.duration;
    },
    close() {
      for (const t of stream.getTracks()) t.stop();
      void audioCtx.close().catch(() => undefined);
    },
  };
}
