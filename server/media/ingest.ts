/**
 * Turns the encoder's fragmented MP4 byte stream into decoder setup + frames for a relay.
 */
import { BoxSplitter, Mp4FormatError, parseFragment, parseMoov, type Box, type Sample, type TrackInfo } from './fmp4.js';

export interface IngestTarget {
  setTracks(tracks: TrackInfo[]): void;
  publish(sample: Sample): void;
}

export class Fmp4Ingest {
  private readonly splitter = new BoxSplitter();
  private moof: Box | null = null;
  private hasInit = false;

  constructor(private readonly target: IngestTarget) {}

  /** Feeds bytes from the encoder. Throws Mp4FormatError when the stream is not what we expect. */
  push(chunk: Buffer): void {
    for (const box of this.splitter.push(chunk)) this.onBox(box);
  }

  private onBox(box: Box): void {
    switch (box.type) {
      case 'moov':
        this.target.setTracks(parseMoov(box));
        this.hasInit = true;
        return;
      case 'moof':
        this.moof = box;
        return;
      case 'mdat': {
        if (!this.moof) throw new Mp4FormatError('mdat without a moof');
        if (!this.hasInit) throw new Mp4FormatError('fragment before the init segment');
        const samples = parseFragment(this.moof, box);
        this.moof = null;
        for (const s of samples) this.target.publish(s);
        return;
      }
      default:
        return; // ftyp, styp, sidx, prft, free: nothing to relay
    }
  }
}
