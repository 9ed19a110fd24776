// Lints the extension (TypeScript, type-aware) and the end-to-end driver (plain Node ESM).
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["out/**", "node_modules/**", ".e2e/**", ".venv/**", "extension/build.mjs"] },
  {
    files: ["extension/src/**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      eqeqeq: "error",
      curly: "error",
    },
  },
  {
    files: ["tests/e2e/**/*.mjs", "extension/*.mjs"],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node, document: "readonly" }, ecmaVersion: 2022, sourceType: "module" },
    rules: { "no-unused-vars": ["error", { varsIgnorePattern: "^_" }] },
  },
);
