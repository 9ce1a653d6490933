/**
 * The fixture the appliance suites share: a page server for the rooms to show, the booted
 * appliance (image/appliance up), the admin's cookie, and an API call helper with that cookie.
 * Call it once at the top of a describe(): it registers that suite's beforeAll/afterAll.
 */
import { afterAll, beforeAll } from 'vitest';
import { bootAppliance, type Appliance } from '../harness/appliance.js';
import { startPageServer, type PageServer } from './pageServer.js';

export interface BootedAppliance {
  readonly appliance: Appliance;
  readonly pages: PageServer;
  readonly cookie: string;
  /** fetch() on the appliance (loopback, as the operator's tools), JSON, logged in. */
  api(path: string, init?: RequestInit): Promise<Response>;
}

export function useBootedAppliance(port = 8800, opts: { dataDiskMiB?: number } = {}): BootedAppliance {
  let appliance: Appliance | undefined;
  let pages: PageServer | undefined;
  let cookie = '';

  beforeAll(async () => {
    pages = await startPageServer();
    appliance = await bootAppliance({ port, ...opts });
    cookie = await appliance.login();
  }, 1_800_000);

  afterAll(async () => {
    await appliance?.stop();
    await pages?.close();
  }, 120_000);

  const booted = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not there: the suite's beforeAll did not finish`);
    return value;
  };
  return {
    get appliance() {
      return booted(appliance, 'the appliance');
    },
    get pages() {
      return booted(pages, 'the page server');
    },
    get cookie() {
      return cookie;
    },
    api: (path, init = {}) => fetch(`${booted(appliance, 'the appliance').baseUrl}${path}`, { ...init, headers: { 'content-type': 'application/json', cookie, ...(init.headers ?? {}) } }),
  };
}
