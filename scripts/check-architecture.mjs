#!/usr/bin/env node
// Fails on any import cycle among the files of src/ and on any import that breaks the layer
// order of docs/ARCHITECTURE.md. The order is read from that document's "Layers" table, so the
// map and the check cannot drift apart. Usage: node scripts/check-architecture.mjs [root]
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'


/** Folder -> rank, from the rows of the table under "## Layers": `| rank | `folder`, `folder` | … |`. */
export function readLayers (markdown) {
  const section = markdown.split(/^## /m).find(s => s.startsWith('Layers'))
  if (section === undefined) throw new Error('docs/ARCHITECTURE.md has no "## Layers" section')
  const ranks = new Map()
  for (const line of section.split('\n')) {
    const m = /^\|\s*(\d+)\s*\|([^|]*)\|/.exec(line)
    if (m === null) continue
    for (const f of m[2].matchAll(/`([^`]+)`/g)) ranks.set(f[1].replace(/\/$/, ''), Number(m[1]))
  }
  if (ranks.size === 0) throw new Error('the "Layers" table of docs/ARCHITECTURE.md lists no folders')
  return ranks
}

function sourceFiles (dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) sourceFiles(p, out)
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p)
  }
  return out
}

/** The layer folder of a file: its first folder under src/, or `(root)` for src/*.ts. */
const folderOf = (srcDir, file) => {
  const parts = relative(srcDir, file).split(sep)
  return parts.length === 1 ? '(root)' : parts[0]
}

/** Relative imports of a file (static, dynamic and type-only), resolved to .ts paths under src/. TypeScript 7 has no JS API to ask, and our imports are one style. */
function importsOf (srcDir, file) {
  const text = readFileSync(file, 'utf8')
  // statements `import … from '…'`, `export … from '…'`, side-effect `import '…'`, and `import('…')`
  const specs = [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?(?:from\s*)?'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm)].map(m => m[1] ?? m[2])
  return specs.filter(s => s.startsWith('.')).map(s => {
    const p = resolve(dirname(file), s)
    return p.endsWith('.js') ? p.slice(0, -3) + '.ts' : p
  }).filter(p => p.startsWith(srcDir + sep) && !p.endsWith('gen.ts'))
}

/** Cycles as lists of files (Tarjan's strongly connected components of more than one file, or a self-import). */
function cycles (graph) {
  let index = 0
  const idx = new Map(); const low = new Map(); const stack = []; const on = new Set(); const found = []
  const visit = (v) => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))) } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)))
    }
    if (low.get(v) === idx.get(v)) {
      const scc = []
      let w
      do { w = stack.pop(); on.delete(w); scc.push(w) } while (w !== v)
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc)
    }
  }
  for (const v of graph.keys()) if (!idx.has(v)) visit(v)
  return found
}

/** One shortest loop inside a strongly connected set of files, first file repeated at the end. */
function loopThrough (graph, scc) {
  const start = [...scc].sort()[0]
  const from = new Map([[start, null]])
  const queue = [start]
  while (queue.length > 0) {
    const v = queue.shift()
    for (const w of graph.get(v) ?? []) {
      if (w === start) {
        const path = [start]
        for (let u = v; u !== null && u !== start; u = from.get(u)) path.splice(1, 0, u)
        return [...path, start]
      }
      if (scc.has(w) && !from.has(w)) { from.set(w, v); queue.push(w) }
    }
  }
  return [...scc]
}

export function checkArchitecture (projectRoot) {
  const layers = readLayers(readFileSync(join(projectRoot, 'docs', 'ARCHITECTURE.md'), 'utf8'))
  const srcDir = join(projectRoot, 'src')
  const files = sourceFiles(srcDir)
  const graph = new Map(files.map(f => [f, importsOf(srcDir, f)]))
  const problems = []
  const rel = (f) => relative(projectRoot, f)
  for (const [file, targets] of graph) {
    const from = folderOf(srcDir, file)
    if (!layers.has(from)) { problems.push(`${rel(file)}: folder ${from} is not in the Layers table of docs/ARCHITECTURE.md`); continue }
    for (const t of targets) {
      const to = folderOf(srcDir, t)
      if (to === from || !layers.has(to)) continue
      if (layers.get(to) >= layers.get(from)) problems.push(`${rel(file)} imports ${rel(t)}: ${from} (layer ${layers.get(from)}) may not import ${to} (layer ${layers.get(to)})`)
    }
  }
  for (const c of cycles(graph)) problems.push(`import cycle: ${loopThrough(graph, new Set(c)).map(rel).join(' -> ')}`)
  return { files: files.length, imports: [...graph.values()].reduce((n, t) => n + t.length, 0), problems }
}

if (import.meta.url === `file://${resolve(process.argv[1])}`) {
  const { files, imports, problems } = checkArchitecture(resolve(process.argv[2] ?? '.'))
  if (problems.length > 0) {
    console.error(`architecture check: ${problems.length} problem(s) in ${files} files\n` + problems.map(p => `  ${p}`).join('\n'))
    process.exit(1)
  }
  console.log(`architecture check: ${files} files, ${imports} imports, no cycle, layer order kept`)
}
