-- Migration: 003_user_metas.sql
-- Description: User metadata table + indexes + RLS
-- Date: 2026-11-25

-- ============================================
-- TABLE
-- ============================================
CREATE TABLE IF NOT EXISTS "users_metas" (
  id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "userId" TEXT NOT NULL REFERENCES public."user"(id) ON DELETE CASCADE,
  "metaKey" TEXT NOT NULL,
  "metaValue" JSONB NOT NULL DEFAULT '{}'::jsonb,
  "dataType" TEXT,
  "isPublic" BOOLEAN NOT NULL DEFAULT FALSE,
  "isSearchable" BOOLEAN NOT NULL DEFAULT FALSE,
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT users_metas_unique_key UNIQUE ("userId", "metaKey")
);

-- ============================================
-- INDEXES
-- ============================================
CREATE INDEX IF NOT EXISTS idx_users_metas_user_id
  ON "users_metas"("userId");

CREATE INDEX IF NOT EXISTS idx_users_metas_key
  ON "users_metas"("metaKey");

CREATE INDEX IF NOT EXISTS idx_users_metas_composite
  ON "users_metas"("userId", "metaKey", "isPublic");

CREATE INDEX IF NOT EXISTS idx_users_metas_searchable
  ON "users_metas"("isSearchable")
  WHERE "isSearchable" = true;

CREATE INDEX IF NOT EXISTS idx_users_metas_value_gin
  ON "users_metas" USING GIN ("metaValue");

-- ============================================
-- RLS
-- ============================================
ALTER TABLE "users_metas" ENABLE ROW LEVEL SECURITY;

-- Owner or admin can do everything
DROP POLICY IF EXISTS "users_metas_owner_or_admin_all" ON "users_metas";
CREATE POLICY "users_metas_owner_or_admin_all" ON "users_metas"
  FOR ALL
  TO authenticated
  USING (
    "userId" = public.get_auth_user_id()
    OR EXISTS (
      SELECT 1 FROM "user"
      WHERE id = public.get_auth_user_id()
      AND role IN ('admin', 'superadmin')
    )
  );

-- Public read for public metadata
DROP POLICY IF EXISTS users_metas_public_read ON "users_metas";
CREATE POLICY users_metas_public_read ON "users_metas"
  FOR SELECT
  TO anon
  USING ("isPublic" = TRUE);

-- ============================================
-- GRANTS
-- ============================================
-- What the policies above need and nothing more: anon only reads, and
-- service_role, which no policy here names, gets nothing.
REVOKE ALL ON "users_metas" FROM authenticated, anon, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON "users_metas" TO authenticated;
GRANT SELECT ON "users_metas" TO anon;

-- ============================================
-- TRIGGER
-- ============================================
DROP TRIGGER IF EXISTS users_metas_set_updated_at ON "users_metas";
CREATE TRIGGER users_metas_set_updated_at
  BEFORE UPDATE ON "users_metas"
  FOR EACH ROW
  EXECUTE FUNCTION public.set_updated_at();
