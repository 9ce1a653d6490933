/** A tiny hyperscript: enough DOM building for two pages without a framework. */
export type Child = Node | string | number | null | undefined | false | Child[];
type Handler = (ev: Event) => void;
export type Props = Record<string, unknown> & {
  class?: string | Record<string, boolean>;
  style?: string | Partial<CSSStyleDeclaration>;
  dataset?: Record<string, string>;
};

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) setProps(el, props);
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Properties that are read-only on elements (set through their attribute instead). */
const ATTRIBUTE_ONLY = new Set(['form', 'list', 'type']);

export function setProps(el: HTMLElement, props: Props): void {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue;
    if (key === 'class') {
      el.className = typeof value === 'string' ? value : classes(value as Record<string, boolean>);
    } else if (key === 'style') {
      if (typeof value === 'string') el.setAttribute('style', value);
      else Object.assign(el.style, value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value as Handler);
    } else if (key in el && !key.includes('-') && !ATTRIBUTE_ONLY.has(key)) {
      (el as unknown as Record<string, unknown>)[key] = value;
    } else if (value === false || value === null) {
      el.removeAttribute(key);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

export function classes(map: Record<string, boolean>): string {
  return Object.entries(map)
    .filter(([, on]) => on)
    .map(([name]) => name)
    .join(' ');
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function replaceChildren(el: Element, ...children: Child[]): void {
  clear(el);
  append(el, children);
}

export function $<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T {
  const el = root.querySelector<T>(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return el;
}

/** Calls fn at most once per `ms`, always with the latest arguments (trailing call included). */
export function throttle<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let last = 0;
  let timer: number | null = null;
  let pending: A | null = null;
  return (...args: A) => {
    const now = performance.now();
    pending = args;
    if (now - last >= ms) {
      last = now;
      pending = null;
      fn(...args);
    } else if (timer === null) {
      timer = window.setTimeout(() => {
        timer = null;
        last = performance.now();
        if (pending) fn(...pending);
        pending = null;
      }, ms - (now - last));
    }
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => window.setTimeout(r, ms));
}
