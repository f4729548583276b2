// The web app's build: a static site in web/dist that any file host can serve (relative asset paths).
// The engine is bundled from ../src unchanged and runs in a module Web Worker.
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 1500 },
  worker: { format: "es" },
  server: { fs: { allow: [".."] } },
});
