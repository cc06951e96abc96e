import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served by Lapis under /portal/; relative asset URLs keep the build independent of the host.
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 2000 },
});
