/**
 * The layering of docs/architecture.md, checked (npm run lint):
 * - no cycles between folders of src/ (type-only imports included);
 * - feature folders never import the adapters' entry points mcp/ or cli/;
 * - trading never imports agent/ (the model proposes, trading disposes, without knowing who);
 * - migrations import nothing of ours (they are frozen);
 * - the shared kernel (src/shared/) imports nothing of ours.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment: 'Folders of src/ form no cycle: one folder depends on another, never both ways (type imports count).',
      scope: 'folder',
      from: { path: '^src/[^/]+' },
      to: { path: '^src/[^/]+', circular: true },
    },
    {
      name: 'no-module-cycles',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'features-never-import-mcp-or-cli',
      severity: 'error',
      comment: 'mcp/ and cli/ call the features; the features never call them.',
      from: { path: '^src/', pathNot: '^src/(mcp|cli|app\\.ts|main\\.ts)' },
      to: { path: '^src/(mcp|cli)/' },
    },
    {
      name: 'trading-never-imports-agent',
      severity: 'error',
      from: { path: '^src/trading/' },
      to: { path: '^src/agent/' },
    },
    {
      name: 'migrations-import-nothing-of-ours',
      severity: 'error',
      from: { path: '^src/db/migrations/' },
      to: { path: '^src/', pathNot: '^src/db/migrations/' },
    },
    {
      name: 'shared-imports-nothing-of-ours',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'only-the-composition-root-builds-adapters',
      severity: 'error',
      comment: 'Concrete adapters (the ccxt client, the agent SDK backend, the database) are built in app.ts only.',
      from: { path: '^src/', pathNot: '^src/app\\.ts$' },
      to: { path: '^src/(market/ccxt-market-data|agent/claude-backend)\\.ts$' },
    },
  ],
  options: {
    // Folder-scoped rules (no-folder-cycles) need the folder metrics.
    metrics: true,
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
    moduleSystems: ['es6'],
  },
};
