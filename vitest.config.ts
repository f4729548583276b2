import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 60_000,
    globalSetup: ["test/globalSetup.ts"],
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: ["test/web/**"], pool: "threads" } },
      // The web app in headless Chromium (web/dist, built by `npm test`); skipped where no Chromium exists.
      {
        extends: true,
        test: { name: "web", include: ["test/web/**/*.test.ts"], pool: "forks", testTimeout: 120_000, hookTimeout: 120_000 },
      },
    ],
  },
});
