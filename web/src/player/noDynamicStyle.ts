/**
 * video.js adds a <style> element when its module is evaluated unless this flag is already set,
 * and the CSP (server/http/securityHeaders.ts) allows no inline style: so the flag is set in a
 * module of its own, imported before video.js (and bundled in video.js's chunk, ahead of it:
 * web/vite.config.ts), not in the importing module's body, which runs after its imports.
 */
(window as unknown as { VIDEOJS_NO_DYNAMIC_STYLE: boolean }).VIDEOJS_NO_DYNAMIC_STYLE = true;
