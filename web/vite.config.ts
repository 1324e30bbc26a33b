import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// In development the API server runs separately (pnpm start, port 4000); in
// production it serves web/dist itself, so the SPA always talks to its own origin.
const api = process.env.API_URL ?? "http://127.0.0.1:4000";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react()],
  server: {
    proxy: {
      "/graphql": { target: api, ws: true, changeOrigin: true },
      "/api": { target: api, changeOrigin: true },
      "/auth": { target: api, changeOrigin: true },
    },
  },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
});
