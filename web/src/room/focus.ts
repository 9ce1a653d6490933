/**
 * Is the participant typing into one of the page's own fields (the chat, a dialog)? Then noVNC
 * must not take the keyboard focus (it grabs it when control arrives), and keys typed there are
 * not input to the room.
 */
export function typingInPage(el: Element | null = document.activeElement): boolean {
  if (!(el instanceof HTMLElement) || el.classList.contains('kbd-input')) return false; // the on-screen keyboard's field types into the room
  return el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el.isContentEditable;
}
