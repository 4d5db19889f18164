// Fixture projects declared inside tests, and the CLI run as a child process.
import { existsSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Writes `files` (relative path → content) under a new temporary folder. */
export function writeProject(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tm-project-'));
  addFiles(root, files);
  return root;
}

export function addFiles(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const full = path.join(root, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}

export function removeProject(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Parsed stdout when it is JSON, else null. */
  json: CliJson | null;
}

export interface CliJson {
  ok: boolean;
  database: string;
  migrations: { tier: string; source: string | null; entity: string | null; filename: string; path: string | null; status: string; durationMs: number | null }[];
  error: { code: string; message: string; file: string | null; line: number | null; column: number | null; sqlstate: string | null; hint: string | null; fix?: string | null } | null;
  problems: { severity: string; code: string; message: string; file: string | null }[];
}

/**
 * The environment a fixture project runs with. Fixture projects carry their own core
 * tier in `migrations/` (a fork of the core, in the package's terms): they name it
 * with MIGRATE_CORE_DIR, unless the test sets that variable itself (undefined unsets it).
 */
export function fixtureEnv(root: string | undefined, env: Record<string, string | undefined>): Record<string, string> {
  const cleanEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1' };
  if (root !== undefined && !('MIGRATE_CORE_DIR' in env) && existsSync(path.join(root, 'migrations'))) cleanEnv.MIGRATE_CORE_DIR = 'migrations';
  for (const [k, v] of Object.entries(env)) if (v !== undefined) cleanEnv[k] = v;
  return cleanEnv;
}

/** Runs `node scripts/db.mjs <args>` with a clean environment plus `env` (see fixtureEnv). */
export function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const rootAt = args.indexOf('--root');
    const cleanEnv = fixtureEnv(rootAt >= 0 ? args[rootAt + 1] : undefined, env);
    const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'db.mjs'), ...args], { env: cleanEnv, cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: CliJson | null = null;
      try {
        json = JSON.parse(stdout) as CliJson;
      } catch {
        json = null;
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
  });
}

/** A theme config source listing `plugins`. */
export function themeConfig(plugins: string[]): string {
  return `// fixture theme\nexport const themeConfig = {\n  name: 'fixture',\n  plugins: [${plugins.map((p) => `'${p}'`).join(', ')}] as const,\n};\nexport default themeConfig;\n`;
}
