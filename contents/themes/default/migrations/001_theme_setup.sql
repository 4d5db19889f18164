-- Migration: 001_theme_setup.sql
-- Description: Default theme schema: per-user theme preferences (color scheme, sidebar, locale)
-- Date: 2026-11-25

-- ============================================
-- TABLES
-- ============================================
CREATE TABLE IF NOT EXISTS "theme_preferences" (
  id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  "colorScheme" TEXT NOT NULL DEFAULT 'system',
  "sidebarCollapsed" BOOLEAN NOT NULL DEFAULT FALSE,
  locale TEXT,
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT theme_preferences_color_scheme_check CHECK ("colorScheme" IN ('light', 'dark', 'system'))
);

-- ============================================
-- INDEXES
-- ============================================
-- One row per user; also serves the "userId" foreign key.
CREATE UNIQUE INDEX IF NOT EXISTS idx_theme_preferences_user_id
  ON "theme_preferences"("userId");

-- ============================================
-- RLS
-- ============================================
ALTER TABLE "theme_preferences" ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS theme_preferences_select_own ON "theme_preferences";
CREATE POLICY theme_preferences_select_own ON "theme_preferences"
  FOR SELECT
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS theme_preferences_insert_own ON "theme_preferences";
CREATE POLICY theme_preferences_insert_own ON "theme_preferences"
  FOR INSERT
  TO authenticated
  WITH CHECK ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS theme_preferences_update_own ON "theme_preferences";
CREATE POLICY theme_preferences_update_own ON "theme_preferences"
  FOR UPDATE
  TO authenticated
  USING ("userId" = public.get_auth_user_id())
  WITH CHECK ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS theme_preferences_delete_own ON "theme_preferences";
CREATE POLICY theme_preferences_delete_own ON "theme_preferences"
  FOR DELETE
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

-- ============================================
-- GRANTS
-- ============================================
REVOKE ALL ON "theme_preferences" FROM authenticated, anon, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON "theme_preferences" TO authenticated;

-- ============================================
-- TRIGGERS
-- ============================================
DROP TRIGGER IF EXISTS theme_preferences_set_updated_at ON "theme_preferences";
CREATE TRIGGER theme_preferences_set_updated_at
  BEFORE UPDATE ON "theme_preferences"
  FOR EACH ROW
  EXECUTE FUNCTION public.set_updated_at();
