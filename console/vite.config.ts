// Vite build of the web console (served by the API at /console; api/console.ts). `npm run build:console`
// builds it into console/dist; `npx vite console` serves it with hot reload, calling the API on :3000.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: __dirname,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2_000,
    rollupOptions: {
      output: {
        // The UI library changes rarely: its own file stays cached across console changes.
        manualChunks: (id) => (id.includes('node_modules') ? (/[\\/](antd|@ant-design|rc-|@rc-component)/.test(id) ? 'antd' : 'vendor') : undefined),
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
