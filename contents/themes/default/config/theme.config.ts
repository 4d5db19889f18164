// Configuration of the default theme.
// The migration engine reads `plugins` from this file with a TypeScript parser,
// without executing it: keep `plugins` a literal array of plugin folder names
// (contents/plugins/<name>), listed in the order their migrations run.

/** The shape every theme's config follows. */
export interface ThemeConfig {
  /** Folder name under contents/themes/. */
  name: string;
  displayName: string;
  description: string;
  version: string;
  /** Plugins this theme enables, in migration order. */
  plugins: readonly string[];
}

/** The default theme: tasks, AI completions and billing. */
export const themeConfig: ThemeConfig = {
  name: 'default',
  displayName: 'Default',
  description: 'The reference theme: a task list with AI completions and paid plans.',
  version: '1.0.0',
  plugins: ['ai', 'billing'],
};

export default themeConfig;
