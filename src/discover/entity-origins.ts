// Where every entity of the project lives, across all themes and plugins (not
// only the active ones): used to fill in source columns of old tracking rows.
import { availablePlugins, availableThemes, entitySources } from './project.js';

export function allEntityOrigins(root: string): Map<string, { sourceType: string; sourceName: string }> {
  const origins = new Map<string, { sourceType: string; sourceName: string }>();
  const themes = availableThemes(root);
  const plugins = availablePlugins(root);
  // Themes first: when a name exists in several places, the theme's claim is the likelier one.
  const sources = [...themes.flatMap((t) => entitySources(root, 'theme', t)), ...plugins.flatMap((p) => entitySources(root, 'plugin', p))];
  for (const s of sources) {
    if (s.entity && s.sourceType && s.sourceName && !origins.has(s.entity)) {
      origins.set(s.entity, { sourceType: s.sourceType, sourceName: s.sourceName });
    }
  }
  return origins;
}
