// Where the core tier comes from. In an app, the core schema ships inside this
// package (node_modules/tiered-migrate/migrations): the app holds only contents/.
// A team that forks the core names its own folder (--core-dir, MIGRATE_CORE_DIR).
// In this repository (the package itself) the core is its own migrations/ folder.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MigrateError } from '../core/errors.js';
import type { Problem } from '../core/plan.js';

/** The folder the core tier is read from, and why that one. */
export interface CoreLocation {
  /** Relative to the project root, `/` separators (may start with `..` for a linked package). */
  dir: string;
  /** `package` (the shipped core), `project` (this package's own repository), or the option that named it. */
  origin: 'package' | 'project' | '--core-dir' | 'MIGRATE_CORE_DIR' | 'option';
  /**
   * A root `migrations/` folder of the app that is not the core tier (the shipped
   * core is): its path and how many `.sql` files it holds, so that the run can say
   * it is not used. Null when there is none, or when it is the core.
   */
  unusedRootFolder: { dir: string; files: number } | null;
}

const PACKAGE_NAME = 'tiered-migrate';

/** The root of this package (the folder holding its package.json), found from this module's location. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        /* not ours: keep looking upwards */
      }
    }
    dir = path.dirname(dir);
  }
  throw new Error(`internal: the ${PACKAGE_NAME} package root was not found above ${fileURLToPath(import.meta.url)}`);
}

/** The version in this package's package.json (the tool's version, in every JSON document). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

const toPosix = (p: string) => p.split(path.sep).join('/');

function sqlFilesIn(dir: string): number {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.sql')).length;
  } catch {
    return 0;
  }
}

/**
 * Decides the core folder for a project. `explicit` is a folder named by the user
 * (relative to the root, or absolute), with the option it came from.
 */
export function locateCore(root: string, explicit?: { dir: string; origin: CoreLocation['origin'] }): CoreLocation {
  const rootMigrations = path.join(root, 'migrations');
  if (explicit) {
    const absolute = path.resolve(root, explicit.dir);
    if (!existsSync(absolute) || !statSync(absolute).isDirectory()) {
      throw new MigrateError('CONFIG', `core migrations folder ${explicit.dir} (from ${explicit.origin}) does not exist`, {
        hint: `Create it, or remove ${explicit.origin} to use the core schema shipped with ${PACKAGE_NAME}.`,
      });
    }
    const unused = path.resolve(absolute) !== path.resolve(rootMigrations) && sqlFilesIn(rootMigrations) > 0;
    return {
      dir: toPosix(path.relative(root, absolute)) || '.',
      origin: explicit.origin,
      unusedRootFolder: unused ? { dir: 'migrations', files: sqlFilesIn(rootMigrations) } : null,
    };
  }
  const shipped = packageRoot();
  if (path.resolve(shipped) === path.resolve(root)) return { dir: 'migrations', origin: 'project', unusedRootFolder: null };
  const files = sqlFilesIn(rootMigrations);
  return {
    dir: toPosix(path.relative(root, path.join(shipped, 'migrations'))),
    origin: 'package',
    unusedRootFolder: files > 0 ? { dir: 'migrations', files } : null,
  };
}

/** The warning for an app's own root `migrations/` folder that is not the core tier. */
export function unusedCoreFolderProblems(core: CoreLocation): Problem[] {
  const unused = core.unusedRootFolder;
  if (!unused) return [];
  return [
    {
      severity: 'warning',
      code: 'unused-core-folder',
      file: unused.dir,
      message: `${unused.dir}/ holds ${unused.files} .sql file(s) that are not run: the core tier is read from ${core.dir}`,
      hint:
        core.origin === 'package'
          ? `To run that folder as your core (a fork of the shipped core), pass --core-dir ${unused.dir} or set MIGRATE_CORE_DIR=${unused.dir}; the app's own migrations belong in its theme or plugins (tiered-migrate new <description> --theme NAME).`
          : `The core folder was chosen by ${core.origin}; move these files into it, or into a theme or plugin.`,
    },
  ];
}
