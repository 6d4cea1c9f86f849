// Flat config: ESLint's and typescript-eslint's recommended rules, without type information so `eslint .` stays
// fast enough to run on every `pnpm test`. tsc (strict) already catches what type-aware rules would.
import js from '@eslint/js'
import { defineConfig, globalIgnores } from 'eslint/config'
import tseslint from 'typescript-eslint'

const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'structuredClone', 'TextEncoder', 'TextDecoder', 'AbortController', 'fetch'].map(
    (name) => [name, 'readonly'],
  ),
)

export default defineConfig([
  // packages/client/src/schema.ts is generated (openapi-typescript); the document test keeps it current.
  globalIgnores(['**/node_modules/', '**/.data/', '.tap/', '**/coverage/', '**/dist/', 'packages/client/src/schema.ts']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: nodeGlobals },
    rules: {
      // Unused variables and imports are errors; unused parameters are not (a tap callback's `t`, a handler's
      // `reply`): the signature is dictated by the caller.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'none', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // `interface Database extends A, B {}` is how kysely schemas are put together.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      // STYLE: `import type` for types.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
    },
  },
])
