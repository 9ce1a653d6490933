/**
 * The web front end: two pages (dashboard at /, room page at /rooms/:id), built to web/dist/.
 * The admin service serves web/dist: `/` -> index.html, `/rooms/:id` -> room.html, `/assets/*`.
 * `npm run web:build` builds it; test/support/devServer.ts serves it with a fake runtime.
 */
import { defineConfig } from 'vite';
import { resolve } from 'node:path';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: '/',
  publicDir: resolve(root, 'public'),
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    // noVNC uses top-level await (its WebCodecs probe), so ES2022 is the floor.
    target: 'es2022',
    // Every browser that runs ES2022 modules has modulepreload.
    modulePreload: { polyfill: false },
    // video.js (core, without its HLS engine) and hls.js are most of the weight: one cacheable vendor chunk.
    chunkSizeWarningLimit: 900,
    rolldownOptions: {
      input: { index: resolve(root, 'index.html'), room: resolve(root, 'room.html') },
      output: {
        codeSplitting: {
          groups: [
            { name: 'novnc', test: /node_modules[\\/]@novnc[\\/]/ },
            // noDynamicStyle must run before video.js: in the same chunk, it comes first.
            { name: 'vendor', test: /node_modules[\\/]|web[\\/]src[\\/]player[\\/]noDynamicStyle\.ts$/ },
            // protocol/: the WebSocket messages, shared with the server (one copy for both pages).
            { name: 'shared', test: /web[\\/]src[\\/](shared|player)[\\/]|[\\/]protocol[\\/][^\\/]+\.ts$/ },
          ],
        },
      },
    },
  },
});
