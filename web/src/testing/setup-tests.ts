/** Vitest set-up: jest-dom matchers, a clean DOM, auth store and fetch between tests. */
import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach, vi } from 'vitest';
import { authStore, loginGate } from '@/lib/auth';
import { setConfig } from '@/lib/config';

// jsdom has media elements without playback
Object.defineProperty(HTMLMediaElement.prototype, 'play', { configurable: true, value: () => Promise.resolve() });
Object.defineProperty(HTMLMediaElement.prototype, 'pause', { configurable: true, value: () => undefined });
Object.defineProperty(HTMLMediaElement.prototype, 'load', { configurable: true, value: () => undefined });

setConfig({ apiBaseUrl: 'http://api.test' });

afterEach(() => {
  cleanup();
  authStore.reset();
  loginGate.set(false);
  localStorage.clear();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});
