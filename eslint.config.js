// @ts-check
import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The import boundaries of DESIGN.md ("Imports point down"), kept by the linter. In a flat
// config a later entry replaces a rule's options, so each folder's entry lists all its rules.
const onlyRuntimeCode = {
  regex: '^(\\.\\./)+(functions|dev|bench|cli|test)/',
  message:
    'shared/ is what runs in Azure: it never imports functions/, dev/, bench/, cli/ or test/.',
};
const pureCore = {
  regex: '^\\.\\./(store|graph)/',
  allowTypeImports: true,
  message:
    'The planner and the domain model are pure: they take types from store/ and graph/, never values.',
};
const publicSharedModules = {
  regex: '^\\.\\./shared/[^/]+/(?!index\\.js$)',
  message:
    'functions/ uses shared/ through its public modules: shared/<area>/index.js or shared/<module>.js.',
};
const boundaries = (...patterns) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
});

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'coverage/',
      'infra/**/*.json',
      '.azurite/',
      '.dev-tenant/',
      '.deploy/',
      '.tools/',
    ],
  },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  { files: ['shared/**/*.ts'], rules: boundaries(onlyRuntimeCode) },
  {
    files: [
      'shared/sync/planner.ts',
      'shared/sync/model.ts',
      'shared/sync/operations.ts',
      'shared/sync/scope.ts',
      'shared/sync/summary.ts',
      'shared/sync/outcomes.ts',
      'shared/sync/profile.ts',
    ],
    rules: boundaries(onlyRuntimeCode, pureCore),
  },
  { files: ['functions/**/*.ts'], rules: boundaries(publicSharedModules) },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
