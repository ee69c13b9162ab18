/**
 * `npm run deps`: the import picture of src/ — the folders' levels as the imports draw them, the
 * imports that run against the layer picture in scripts/layers.json, and the circles between
 * modules and between folders. Type-only imports count: a contract is a dependency too.
 * Usage: npm run deps [-- SRC_DIR]. Exits 1 when an import runs against the picture or a circle exists.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import picture from './layers.json';

/** The layer picture: tiers bottom first, peers kept apart, upward imports allowed as `import type`. */
export interface LayerPicture {
  tiers: string[][];
  apart: string[][];
  typeOnly: Array<{ from: string; to: string }>;
}

/** One import of one module of src/ by another (paths relative to src/, with extension). */
export interface ImportEdge {
  from: string;
  to: string;
  typeOnly: boolean;
}

export interface ImportAnalysis {
  modules: string[];
  edges: ImportEdge[];
  /** Folders grouped by level: 0 imports no other folder; folders in one circle share a level. */
  levels: string[][];
  /** Imports into a higher tier (or a folder missing from the picture). */
  upward: ImportEdge[];
  /** Imports between peers the picture keeps apart. */
  apart: ImportEdge[];
  /** Each circle as its members, sorted (a strongly connected component of the graph). */
  moduleCircles: string[][];
  folderCircles: string[][];
  /** One closed path through each circle, in the order above, for reading. */
  moduleCirclePaths: string[][];
  folderCirclePaths: string[][];
}

export const LAYER_PICTURE: LayerPicture = picture;

/** The folder a module belongs to: its first directory under src/, or its own name for root modules. */
export function folderOf(module: string): string {
  const [first, ...rest] = module.split('/');
  return rest.length > 0 ? first! : first!.replace(/\.ts$/, '');
}

function listModules(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listModules(full, base);
    return entry.name.endsWith('.ts') ? [path.relative(base, full).split(path.sep).join('/')] : [];
  });
}

/** Every module specifier in a file, with whether only types cross it. */
function specifiersOf(file: string): Array<{ specifier: string; typeOnly: boolean }> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Array<{ specifier: string; typeOnly: boolean }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings : undefined;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (!clause.name &&
            named !== undefined &&
            named.elements.length > 0 &&
            named.elements.every((e) => e.isTypeOnly)));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportTypeNode(node)) {
      const literal = ts.isLiteralTypeNode(node.argument) ? node.argument.literal : undefined;
      if (literal && ts.isStringLiteral(literal)) found.push({ specifier: literal.text, typeOnly: true });
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0]!)
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Tarjan's strongly connected components; returns those with more than one node or a self-loop. */
function circlesOf(nodes: string[], next: (node: string) => string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const target of next(node)) {
      if (!index.has(target)) {
        connect(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || next(node).includes(node)) circles.push(component.sort());
  };
  for (const node of nodes) if (!index.has(node)) connect(node);
  return circles.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/** One closed path through a circle's members, for reading (a → b → … → a). */
function pathThrough(members: string[], next: (node: string) => string[]): string[] {
  const inside = new Set(members);
  const start = members[0]!;
  const search = (node: string, trail: string[]): string[] | undefined => {
    for (const target of next(node).filter((t) => inside.has(t))) {
      if (target === start) return [...trail, start];
      if (!trail.includes(target)) {
        const found = search(target, [...trail, target]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return search(start, [start]) ?? members;
}

/** Reads src/ and measures it against the layer picture. */
export function analyseImports(srcDir: string, layers: LayerPicture = LAYER_PICTURE): ImportAnalysis {
  const modules = listModules(srcDir).sort();
  const known = new Set(modules);
  const edges: ImportEdge[] = [];
  for (const from of modules) {
    const seen = new Map<string, boolean>();
    for (const { specifier, typeOnly } of specifiersOf(path.join(srcDir, from))) {
      if (!specifier.startsWith('.')) continue;
      const target = path.posix.join(path.posix.dirname(from), specifier);
      const to = [`${target}.ts`, `${target}/index.ts`, target].find((m) => known.has(m));
      if (!to) continue;
      seen.set(to, (seen.get(to) ?? true) && typeOnly);
    }
    for (const [to, typeOnly] of seen) edges.push({ from, to, typeOnly });
  }

  const tierOf = new Map(layers.tiers.flatMap((folders, tier) => folders.map((f) => [f, tier] as const)));
  const allowedAsType = (edge: ImportEdge) =>
    edge.typeOnly && layers.typeOnly.some((t) => t.from === folderOf(edge.from) && t.to === folderOf(edge.to));
  const crossing = edges.filter((e) => folderOf(e.from) !== folderOf(e.to));
  const upward = crossing.filter((e) => {
    const [from, to] = [tierOf.get(folderOf(e.from)), tierOf.get(folderOf(e.to))];
    return !allowedAsType(e) && (from === undefined || to === undefined || to > from);
  });
  const apart = crossing.filter((e) =>
    layers.apart.some((group) => group.includes(folderOf(e.from)) && group.includes(folderOf(e.to))),
  );

  const moduleNext = new Map<string, string[]>();
  for (const e of edges) moduleNext.set(e.from, [...(moduleNext.get(e.from) ?? []), e.to]);
  const nextModules = (m: string) => moduleNext.get(m) ?? [];
  const moduleCircles = circlesOf(modules, nextModules);

  const folders = [...new Set(modules.map(folderOf))].sort();
  const folderNext = new Map<string, Set<string>>();
  for (const e of crossing.filter((e) => !allowedAsType(e))) {
    folderNext.set(folderOf(e.from), (folderNext.get(folderOf(e.from)) ?? new Set()).add(folderOf(e.to)));
  }
  const nextFolders = (f: string) => [...(folderNext.get(f) ?? [])].sort();
  const folderCircleSets = circlesOf(folders, nextFolders);
  const folderCircles = folderCircleSets;

  const levelOf = new Map<string, number>();
  const circleOf = (f: string) => folderCircleSets.find((c) => c.includes(f)) ?? [f];
  const level = (folder: string): number => {
    const known = levelOf.get(folder);
    if (known !== undefined) return known;
    const members = circleOf(folder);
    for (const m of members) levelOf.set(m, 0);
    const below = members.flatMap(nextFolders).filter((t) => !members.includes(t));
    const value = below.length === 0 ? 0 : 1 + Math.max(...below.map(level));
    for (const m of members) levelOf.set(m, value);
    return value;
  };
  const levels: string[][] = [];
  for (const folder of folders) (levels[level(folder)] ??= []).push(folder);

  return {
    modules,
    edges,
    levels,
    upward,
    apart,
    moduleCircles,
    folderCircles,
    moduleCirclePaths: moduleCircles.map((c) => pathThrough(c, nextModules)),
    folderCirclePaths: folderCircles.map((c) => pathThrough(c, nextFolders)),
  };
}

/** The analysis as the text `npm run deps` prints. */
export function formatAnalysis(analysis: ImportAnalysis, layers: LayerPicture = LAYER_PICTURE): string {
  const arrow = (e: ImportEdge) =>
    `  ${e.from} → ${e.to}${e.typeOnly ? ' (type only)' : ''}   [${folderOf(e.from)} → ${folderOf(e.to)}]`;
  const circle = (members: string[], closed: string[]) =>
    `  ${closed.join(' → ')}${closed.length - 1 < members.length ? `\n    (all ${members.length} in the circle: ${members.join(', ')})` : ''}`;
  const folderCount = analysis.levels.flat().length;
  return [
    `src/: ${analysis.modules.length} modules, ${analysis.edges.length} imports between them, ${folderCount} folders on ${analysis.levels.length} levels`,
    '',
    'Levels as the imports draw them (0 imports no other folder of src/):',
    ...analysis.levels.map((folders, i) => `  ${i}  ${folders.join(' · ')}`).reverse(),
    '',
    'Layer picture (scripts/layers.json), top first:',
    ...layers.tiers.map((folders) => `  ${folders.join(' · ')}`).reverse(),
    `  apart: ${layers.apart.map((g) => g.join(' ⊥ ')).join(', ') || 'none'}; type-only upward: ${layers.typeOnly.map((t) => `${t.from} → ${t.to}`).join(', ') || 'none'}`,
    '',
    `Upward imports (${analysis.upward.length}):`,
    ...analysis.upward.map(arrow),
    `Imports between peers kept apart (${analysis.apart.length}):`,
    ...analysis.apart.map(arrow),
    `Circles between modules (${analysis.moduleCircles.length}):`,
    ...analysis.moduleCircles.map((c, i) => circle(c, analysis.moduleCirclePaths[i]!)),
    `Circles between folders (${analysis.folderCircles.length}):`,
    ...analysis.folderCircles.map((c, i) => circle(c, analysis.folderCirclePaths[i]!)),
    '',
  ].join('\n');
}

/** True when nothing runs against the picture. */
export function isClean(analysis: ImportAnalysis): boolean {
  return (
    analysis.upward.length + analysis.apart.length + analysis.moduleCircles.length + analysis.folderCircles.length === 0
  );
}

if (require.main === module) {
  const srcDir = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'src'));
  const analysis = analyseImports(srcDir);
  process.stdout.write(formatAnalysis(analysis));
  process.exitCode = isClean(analysis) ? 0 : 1;
}
