// A corpus made ready for every contender: the project folder ours runs on, the
// order ours would apply it in (read from `--dry-run --json`), and the same files
// in that order laid out for psql, dbmate and node-pg-migrate.
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateProject, generateRowsProject, writeProject, SHAPES, fileCount, type ShapeName } from './corpus.js';
import { oursDryRun, type Toolbox } from './contenders.js';
import { databaseUrl, type DatabasePool } from './databases.js';
import { displayCommand, measure, tail } from './measure.js';

/**
 * The text without a leading byte-order mark, as the engine sends it (its
 * src/core/text.ts stripBom). A copy: the harness is built apart from the engine
 * (bench/tsconfig.json, rootDir bench/) and measures its bundle, never its source.
 */
const stripBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

export type CorpusName = 'small' | ShapeName | 'rows';

/** What the tables say about each corpus. */
export const CORPUS_NOTES: Record<CorpusName, string> = {
  small: "the project's own migrations (a snapshot of migrations/ and contents/, theme default)",
  s100: 'generated, scaling point: core 20, theme 10, 2 plugins x 10, 10 entities x 5',
  medium: 'generated: core 50, 5 plugins x 10, 40 entities x 5',
  s1000: 'generated, scaling point: core 100, theme 40 + 2 settings areas x 10, 10 plugins x 24, 120 entities x 5',
  large: 'generated: core 200, theme 100 + 2 settings areas x 25, 15 plugins x 30 + 5 settings areas x 10, 230 entities (30 of them children) x 5',
  rows: 'generated: 1 schema file + 200 files inserting 5,000 rows each (work dominated by the server)',
};

export interface PreparedCorpus {
  name: CorpusName;
  /** Folder of this corpus in the work area; contenders run from here. */
  workDir: string;
  /** The project ours runs on (`--root`). */
  root: string;
  theme: string;
  /** Relative paths in ours's execution order. */
  files: string[];
  psqlScript: string;
  dbmateMigrations: string;
  npmMigrations: string;
}

/** Folder-safe, unique-by-position name for a file in a flat migrations folder. */
function flatName(index: number, relative: string): string {
  const slug = relative.replace(/\.sql$/, '').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').toLowerCase();
  return `${String(index + 1).padStart(6, '0')}_${slug.slice(-90)}.sql`;
}

/** Lays out the project for `name` under `workDir/project`. */
async function writeCorpusProject(name: CorpusName, workDir: string, repoRoot: string, seed: number, smallTheme: string): Promise<{ root: string; theme: string; expected: number | null }> {
  const root = path.join(workDir, 'project');
  if (name === 'small') {
    // A snapshot: the repository's migrations may be edited while a benchmark runs.
    await mkdir(root, { recursive: true });
    await cp(path.join(repoRoot, 'migrations'), path.join(root, 'migrations'), { recursive: true });
    await cp(path.join(repoRoot, 'contents'), path.join(root, 'contents'), { recursive: true });
    return { root, theme: smallTheme, expected: null };
  }
  if (name === 'rows') {
    const project = generateRowsProject(200, 5000);
    await writeProject(root, project);
    return { root, theme: project.theme, expected: 201 };
  }
  const project = generateProject(name, SHAPES[name], seed);
  await writeProject(root, project);
  return { root, theme: project.theme, expected: fileCount(SHAPES[name]) };
}

/**
 * Generates (or snapshots) the corpus, asks ours for the order on a scratch
 * database, and writes the peers' formats. Throws with the exact command when
 * the dry run fails.
 */
export async function prepareCorpus(name: CorpusName, options: { workRoot: string; tools: Toolbox; pool: DatabasePool; seed: number; smallTheme: string }): Promise<PreparedCorpus> {
  const workDir = path.join(options.workRoot, name);
  await mkdir(workDir, { recursive: true });
  const { root, theme, expected } = await writeCorpusProject(name, workDir, options.tools.repoRoot, options.seed, options.smallTheme);

  const scratch = await options.pool.create();
  let files: string[];
  try {
    const spec = oursDryRun(options.tools, { root, theme, workDir }, databaseUrl(options.pool.server, scratch));
    const log = path.join(workDir, 'dry-run.json');
    const run = await measure(spec, log);
    const text = await readFile(log, 'utf8');
    let parsed: { ok?: boolean; migrations?: { path: string; status: string }[] } = {};
    try {
      // GNU time never writes into the log; the log is exactly ours's stdout + stderr.
      parsed = JSON.parse(text.slice(text.indexOf('{')));
    } catch {
      /* reported below */
    }
    if (run.exitCode !== 0 || !parsed.ok || !parsed.migrations) {
      throw new Error(`dry run of corpus ${name} failed (exit ${run.exitCode}):\n  ${displayCommand(spec)}\n${await tail(log)}`);
    }
    files = parsed.migrations.filter((m) => m.status === 'pending').map((m) => m.path);
  } finally {
    await options.pool.drop(scratch);
  }
  if (expected !== null && files.length !== expected) {
    throw new Error(`corpus ${name}: generated ${expected} files but ours plans ${files.length}`);
  }

  const psqlScript = path.join(workDir, 'psql-apply.sql');
  const dbmateMigrations = path.join(workDir, 'dbmate', 'migrations');
  const npmMigrations = path.join(workDir, 'node-pg-migrate', 'migrations');
  await mkdir(dbmateMigrations, { recursive: true });
  await mkdir(npmMigrations, { recursive: true });
  const script: string[] = [];
  for (const [index, relative] of files.entries()) {
    const absolute = path.join(root, relative);
    const content = stripBom(await readFile(absolute, 'utf8'));
    const flat = flatName(index, relative);
    script.push(`BEGIN;\n\\i '${absolute.replaceAll("'", "''")}'\nCOMMIT;`);
    await writeFile(path.join(dbmateMigrations, flat), `-- migrate:up\n${content}\n-- migrate:down\n`);
    await writeFile(path.join(npmMigrations, flat), `-- Up Migration\n${content}`);
  }
  await writeFile(psqlScript, `${script.join('\n')}\n`);
  return { name, workDir, root, theme, files, psqlScript, dbmateMigrations, npmMigrations };
}
