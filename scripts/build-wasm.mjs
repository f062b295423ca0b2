#!/usr/bin/env node
/**
 * Builds the AssemblyScript kernels (asconfig.json) into build/: `release` -> build/window-agg.wasm.
 *
 *   node scripts/build-wasm.mjs            release build, skipped when build/ is newer than its inputs
 *   node scripts/build-wasm.mjs --force    rebuild even when up to date
 *   node scripts/build-wasm.mjs --target debug   debug build (build/window-agg.debug.wasm + source map)
 *
 * Idempotent: the inputs are assembly/**, asconfig.json, this script and the compiler version, and
 * outputs are written to a temporary file and renamed, so a concurrent reader never sees half a file.
 */
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const force = args.includes('--force');
const targetFlag = args.indexOf('--target');
const target = targetFlag >= 0 ? args[targetFlag + 1] : 'release';

const config = JSON.parse(await readFile(path.join(root, 'asconfig.json'), 'utf8'));
const targetConfig = config.targets?.[target];
if (!targetConfig) {
  console.error(`build:wasm: asconfig.json has no target "${target}"; use one of: ${Object.keys(config.targets ?? {}).join(', ')}`);
  process.exit(2);
}
const outFile = path.join(root, targetConfig.outFile);

async function mtimeOrZero(file) {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

async function newestInput() {
  const files = [
    path.join(root, 'asconfig.json'),
    fileURLToPath(import.meta.url),
    path.join(root, 'node_modules/assemblyscript/package.json'),
  ];
  for (const entry of await readdir(path.join(root, 'assembly'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.push(path.join(entry.parentPath ?? entry.path, entry.name));
  }
  const times = await Promise.all(files.map(mtimeOrZero));
  return Math.max(...times);
}

if (!force && (await mtimeOrZero(outFile)) > (await newestInput())) {
  console.log(`build:wasm: ${path.relative(root, outFile)} is up to date`);
  process.exit(0);
}

const { default: asc } = await import('assemblyscript/asc');
await mkdir(path.dirname(outFile), { recursive: true });
const started = performance.now();
const { error, stderr } = await asc.main(['--config', 'asconfig.json', '--target', target], {
  readFile: async (name, baseDir) => {
    try {
      return await readFile(path.resolve(root, baseDir, name), 'utf8');
    } catch {
      return null;
    }
  },
  writeFile: async (name, contents, baseDir) => {
    const file = path.resolve(root, baseDir, name);
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, contents);
    await rename(temporary, file);
  },
});
if (error) {
  console.error(stderr.toString());
  console.error(`build:wasm: asc failed for target "${target}": ${error.message}`);
  process.exit(1);
}
const { size } = await stat(outFile);
console.log(`build:wasm: ${path.relative(root, outFile)} (${size} bytes) in ${Math.round(performance.now() - started)} ms`);
