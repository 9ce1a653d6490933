// video.js without its HLS engine (VHS): the audience path plays HLS with hls.js instead.
declare module 'video.js/dist/alt/video.core.js' {
  import videojs from 'video.js';
  export default videojs;
}
