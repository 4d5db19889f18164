-- Migration: 001_minimal_notes.sql
-- Description: Minimal theme schema: personal notes, owner-only
-- Date: 2026-11-25

-- ============================================
-- TABLES
-- ============================================
CREATE TABLE IF NOT EXISTS "minimal_notes" (
  id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  body TEXT NOT NULL,
  "isPinned" BOOLEAN NOT NULL DEFAULT FALSE,
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- ============================================
-- INDEXES
-- ============================================
-- "My notes, newest first" (also serves the "userId" foreign key).
CREATE INDEX IF NOT EXISTS idx_minimal_notes_user_id_created_at
  ON "minimal_notes"("userId", "createdAt" DESC);

-- ============================================
-- RLS
-- ============================================
ALTER TABLE "minimal_notes" ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS minimal_notes_select_own ON "minimal_notes";
CREATE POLICY minimal_notes_select_own ON "minimal_notes"
  FOR SELECT
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS minimal_notes_insert_own ON "minimal_notes";
CREATE POLICY minimal_notes_insert_own ON "minimal_notes"
  FOR INSERT
  TO authenticated
  WITH CHECK ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS minimal_notes_update_own ON "minimal_notes";
CREATE POLICY minimal_notes_update_own ON "minimal_notes"
  FOR UPDATE
  TO authenticated
  USING ("userId" = public.get_auth_user_id())
  WITH CHECK ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS minimal_notes_delete_own ON "minimal_notes";
CREATE POLICY minimal_notes_delete_own ON "minimal_notes"
  FOR DELETE
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

-- ============================================
-- GRANTS
-- ============================================
REVOKE ALL ON "minimal_notes" FROM authenticated, anon, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON "minimal_notes" TO authenticated;

-- ============================================
-- TRIGGERS
-- ============================================
DROP TRIGGER IF EXISTS minimal_notes_set_updated_at ON "minimal_notes";
CREATE TRIGGER minimal_notes_set_updated_at
  BEFORE UPDATE ON "minimal_notes"
  FOR EACH ROW
  EXECUTE FUNCTION public.set_updated_at();
