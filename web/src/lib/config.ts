/** Runtime configuration: `config.json` beside index.html names the API's base URL.
 * Served by the API itself it is "" (same origin); on AWS the deploy writes the API's URL. */
export type AppConfig = { apiBaseUrl: string };

let config: AppConfig = { apiBaseUrl: '' };

export async function loadConfig(fetcher: typeof fetch = fetch): Promise<AppConfig> {
  try {
    const r = await fetcher('./config.json', { cache: 'no-store' });
    if (r.ok) {
      const body = (await r.json()) as Partial<AppConfig>;
      config = { apiBaseUrl: (body.apiBaseUrl ?? '').replace(/\/$/, '') };
    }
  } catch {
    // no config.json (vite dev server): the API is on the same origin
  }
  return config;
}

export function getConfig(): AppConfig {
  return config;
}

export function setConfig(next: AppConfig): void {
  config = next;
}
