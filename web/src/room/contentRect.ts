/**
 * Where the picture is inside a letterboxed video element: object-fit: contain, computed.
 * The input layer is placed exactly over this rectangle, so noVNC (which scales the remote
 * framebuffer to its target element) maps a point of the picture to the same point of the
 * session at any window size or aspect.
 */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The picture's rectangle inside a box, for intrinsic size iw x ih, kept aspect, centred. */
export function containRect(iw: number, ih: number, boxWidth: number, boxHeight: number): Rect {
  if (!(iw > 0 && ih > 0 && boxWidth > 0 && boxHeight > 0)) return { x: 0, y: 0, width: Math.max(0, boxWidth), height: Math.max(0, boxHeight) };
  const scale = Math.min(boxWidth / iw, boxHeight / ih);
  const width = iw * scale;
  const height = ih * scale;
  return { x: (boxWidth - width) / 2, y: (boxHeight - height) / 2, width, height };
}

/** The same rectangle snapped to whole CSS pixels, edges rounded (not sizes) so nothing drifts. */
export function snapRect(r: Rect): Rect {
  const x = Math.round(r.x);
  const y = Math.round(r.y);
  return { x, y, width: Math.round(r.x + r.width) - x, height: Math.round(r.y + r.height) - y };
}

/** A client point as a fraction (0..1) of the rectangle, clamped. */
export function normalizePoint(clientX: number, clientY: number, rect: DOMRect | Rect): { x: number; y: number } {
  const left = 'left' in rect ? rect.left : rect.x;
  const top = 'top' in rect ? rect.top : rect.y;
  const clamp = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);
  return { x: clamp((clientX - left) / rect.width), y: clamp((clientY - top) / rect.height) };
}
