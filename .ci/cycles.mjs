// Import-cycle check (`npm run cycles`): no module may import itself through others, in the service,
// the protocol, the pages or the tests. Type-only imports count: a cycle of types is still two
// modules that cannot be understood (or moved) one without the other.
//
// dpdm parses with TypeScript itself. It resolves `./x.js` to `./x.ts` only through tsconfig.json,
// and an import it cannot resolve is silently left out of the graph (so a cycle through it is
// missed): any unresolved import fails this check too.
import { parseCircular, parseDependencyTree } from 'dpdm';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const globs = ['server/**/*.ts', 'protocol/**/*.ts', 'web/src/**/*.ts', 'web/scripts/**/*.ts', 'test/**/*.ts'];

const tree = await parseDependencyTree(globs, {
  cwd: root,
  context: root,
  tsconfig: path.join(root, 'tsconfig.json'),
  transform: false, // keep type-only imports in the graph
  skipDynamicImports: false,
});

const rel = (id) => path.relative(root, id);
const unresolved = [];
for (const [issuer, deps] of Object.entries(tree)) {
  for (const dep of deps ?? []) if (dep.id === null) unresolved.push(`${rel(issuer)}: cannot resolve '${dep.request}'`);
}
const cycles = parseCircular(tree).map((c) => [...c, c[0]].map(rel).join(' -> '));
// The tree also holds node's built-ins (node:fs, ...) as leaves: count the project's own files.
const files = Object.keys(tree).filter((id) => tree[id] !== null && existsSync(path.resolve(root, id))).length;

for (const u of unresolved) console.error(`unresolved import  ${u}`);
for (const c of cycles) console.error(`import cycle  ${c}`);
if (unresolved.length > 0 || cycles.length > 0) {
  console.error(`${cycles.length} import cycle(s), ${unresolved.length} unresolved import(s) in ${files} files`);
  process.exit(1);
}
console.log(`no import cycles in ${files} files`);
