import { defineConfig } from 'vite'

// Plain Vite: esbuild compiles the TSX with Preact's automatic JSX runtime,
// so no framework plugin is needed. Assets are referenced from the root
// (base '/') because client-side routes such as /vms/<uuid>/console are
// served the same index.html by xkvmd.
export default defineConfig({
  base: '/',
  esbuild: {
    jsx: 'automatic',
    jsxImportSource: 'preact',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // One small app; a single chunk is fine and keeps the daemon's file
    // serving trivial.
    chunkSizeWarningLimit: 1024,
  },
})
