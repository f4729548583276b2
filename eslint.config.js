// Lint: the recommended JavaScript and typescript-eslint rules, plus the engine's purity rule: no
// node:* imports, no clock and no Math.random under src/engine, so it runs the same everywhere.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "schema/", "web/dist/", ".devcarry/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  // The web app runs in browsers (the page) and a Web Worker (the engine); its build config in Node.
  {
    files: ["web/src/**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser, ...globals.worker } },
  },
  {
    files: ["web/vite.config.ts", "test/web/**/*.ts"],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ["src/engine/**/*.ts", "src/index.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*", "fs", "path", "os", "child_process", "worker_threads"], message: "The engine is pure: no Node APIs." },
          ],
        },
      ],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "Use a seeded generator." },
        { object: "Date", property: "now", message: "The engine has no clock." },
        { object: "performance", property: "now", message: "The engine has no clock." },
      ],
      "no-restricted-globals": [
        "error",
        { name: "process", message: "The engine is pure: no process." },
        { name: "window", message: "The engine has no DOM." },
        { name: "document", message: "The engine has no DOM." },
      ],
    },
  },
);
