// Configuration of the minimal theme: no plugin, one table of its own.
// Read statically by the migration engine (never executed): keep `plugins` a
// literal array.

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

/** The minimal theme: personal notes, nothing else. */
export const themeConfig: ThemeConfig = {
  name: 'minimal',
  displayName: 'Minimal',
  description: 'A bare theme with personal notes and no plugins.',
  version: '1.0.0',
  plugins: [],
};

export default themeConfig;
