/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Tests run in a time zone other than Seoul, so KST formatting is proven, not assumed.
process.env.TZ = "America/New_York";

// The API server (`stocklab up`) serves dist/ at "/", so the base is "/". In `npm run dev`
// the API calls go to a running `stocklab up` (STOCKLAB_API, default port 8811).
export default defineConfig({
  base: "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: {
      "/api": process.env.STOCKLAB_API ?? "http://localhost:8811",
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
