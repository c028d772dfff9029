/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The API serves the built app at / and its files under /assets/; `npm run dev` proxies the API.
export default defineConfig({
  plugins: [react()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  server: {
    proxy: Object.fromEntries(
      ['/libraries', '/items', '/scans', '/sessions', '/users', '/events', '/health', '/plugins',
       '/profiles', '/transcode', '/transcodes', '/auth', '/openapi.json'].map((p) => [
        p,
        process.env.VIEWRA_API ?? 'http://127.0.0.1:8000',
      ]),
    ),
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/testing/setup-tests.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
