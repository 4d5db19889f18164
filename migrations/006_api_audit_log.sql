-- Migration: 006_api_audit_log.sql
-- Description: Append-only log of API calls (key, user, method, path, status, IP, user agent, duration, time)
-- Date: 2026-11-25

-- ============================================
-- TABLES
-- ============================================
-- One row per API call, written by the server (service_role). Nobody updates
-- or deletes rows through RLS: there are no UPDATE or DELETE policies and no
-- such grants. A row outlives its key ("apiKeyId" becomes NULL when the key is
-- deleted) but not its user (deleting a user removes their personal data).
-- "userId" is NULL for calls that could not be authenticated; only admins see
-- those. "updatedAt" stays equal to "createdAt" unless the table owner corrects
-- a row by hand, which the trigger then makes visible.
CREATE TABLE IF NOT EXISTS "api_audit_log" (
  id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "apiKeyId" TEXT REFERENCES "api_key"(id) ON DELETE SET NULL,
  "userId" TEXT REFERENCES "user"(id) ON DELETE CASCADE,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  "statusCode" INTEGER NOT NULL,
  "ipAddress" TEXT,
  "userAgent" TEXT,
  "durationMs" INTEGER,
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT api_audit_log_method_check
    CHECK (method IN ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')),
  CONSTRAINT api_audit_log_status_code_check CHECK ("statusCode" BETWEEN 100 AND 599),
  CONSTRAINT api_audit_log_duration_check CHECK ("durationMs" IS NULL OR "durationMs" >= 0)
);

-- ============================================
-- INDEXES
-- ============================================
-- "This key's calls, newest first" (also serves the "apiKeyId" foreign key).
CREATE INDEX IF NOT EXISTS idx_api_audit_log_api_key_id_created_at
  ON "api_audit_log"("apiKeyId", "createdAt" DESC);

-- "This user's calls, newest first" (also serves the "userId" foreign key).
CREATE INDEX IF NOT EXISTS idx_api_audit_log_user_id_created_at
  ON "api_audit_log"("userId", "createdAt" DESC);

-- Time-range queries and retention clean-up.
CREATE INDEX IF NOT EXISTS idx_api_audit_log_created_at
  ON "api_audit_log"("createdAt");

-- ============================================
-- RLS
-- ============================================
ALTER TABLE "api_audit_log" ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS api_audit_log_select_own ON "api_audit_log";
CREATE POLICY api_audit_log_select_own ON "api_audit_log"
  FOR SELECT
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS api_audit_log_select_admin ON "api_audit_log";
CREATE POLICY api_audit_log_select_admin ON "api_audit_log"
  FOR SELECT
  TO authenticated
  USING ((SELECT public.is_admin()));

-- The API middleware records calls; users cannot write their own history.
DROP POLICY IF EXISTS api_audit_log_service_role_select ON "api_audit_log";
CREATE POLICY api_audit_log_service_role_select ON "api_audit_log"
  FOR SELECT
  TO service_role
  USING (true);

DROP POLICY IF EXISTS api_audit_log_service_role_insert ON "api_audit_log";
CREATE POLICY api_audit_log_service_role_insert ON "api_audit_log"
  FOR INSERT
  TO service_role
  WITH CHECK (true);

-- ============================================
-- GRANTS
-- ============================================
REVOKE ALL ON "api_audit_log" FROM authenticated, anon, service_role;
GRANT SELECT ON "api_audit_log" TO authenticated;
GRANT SELECT, INSERT ON "api_audit_log" TO service_role;

-- ============================================
-- TRIGGERS
-- ============================================
DROP TRIGGER IF EXISTS api_audit_log_set_updated_at ON "api_audit_log";
CREATE TRIGGER api_audit_log_set_updated_at
  BEFORE UPDATE ON "api_audit_log"
  FOR EACH ROW
  EXECUTE FUNCTION public.set_updated_at();
