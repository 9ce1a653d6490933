/** One line per event on stdout/stderr, so journald (and `journalctl -u streambox-admin`) keeps it. */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function format(msg: string, fields?: Record<string, unknown>): string {
  if (!fields || Object.keys(fields).length === 0) return msg;
  return `${msg} ${Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v ?? null)}`)
    .join(' ')}`;
}

export const consoleLogger: Logger = {
  info: (msg, fields) => console.log(format(msg, fields)),
  warn: (msg, fields) => console.warn(`warning: ${format(msg, fields)}`),
  error: (msg, fields) => console.error(`error: ${format(msg, fields)}`),
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
