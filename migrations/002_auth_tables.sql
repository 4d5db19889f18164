-- Migration: 002_auth_tables.sql
-- Description: Indexes, RLS policies, grants and updatedAt triggers for the Better Auth tables
-- Date: 2026-11-25

-- ============================================
-- INDEXES
-- ============================================
-- email and session.token are already indexed by their UNIQUE constraints.
CREATE INDEX IF NOT EXISTS idx_user_role
  ON "user"(role);

CREATE INDEX IF NOT EXISTS idx_session_user_id
  ON "session"("userId");
CREATE INDEX IF NOT EXISTS idx_session_expires_at
  ON "session"("expiresAt");

CREATE INDEX IF NOT EXISTS idx_account_user_id
  ON "account"("userId");

CREATE INDEX IF NOT EXISTS idx_verification_identifier
  ON "verification"(identifier);
CREATE INDEX IF NOT EXISTS idx_verification_expires_at
  ON "verification"("expiresAt");

-- ============================================
-- RLS
-- ============================================
-- Already enabled by 001 (fail closed); repeated so this file reads complete.
ALTER TABLE "user" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "session" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "account" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "verification" ENABLE ROW LEVEL SECURITY;

-- "user": a user reads and updates their own row, admins read every row.
DROP POLICY IF EXISTS user_select_own ON "user";
CREATE POLICY user_select_own ON "user"
  FOR SELECT
  TO authenticated
  USING (id = public.get_auth_user_id());

DROP POLICY IF EXISTS user_select_admin ON "user";
CREATE POLICY user_select_admin ON "user"
  FOR SELECT
  TO authenticated
  USING ((SELECT public.is_admin()));

DROP POLICY IF EXISTS user_update_own ON "user";
CREATE POLICY user_update_own ON "user"
  FOR UPDATE
  TO authenticated
  USING (id = public.get_auth_user_id())
  WITH CHECK (id = public.get_auth_user_id());

-- Better Auth's server side (sign-up, sign-in by email, admin actions) works
-- across users: service_role, with explicit policies rather than BYPASSRLS.
DROP POLICY IF EXISTS user_service_role_all ON "user";
CREATE POLICY user_service_role_all ON "user"
  FOR ALL
  TO service_role
  USING (true)
  WITH CHECK (true);

-- "session": a user lists and ends their own sessions; never readable by anon.
DROP POLICY IF EXISTS session_select_own ON "session";
CREATE POLICY session_select_own ON "session"
  FOR SELECT
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS session_delete_own ON "session";
CREATE POLICY session_delete_own ON "session"
  FOR DELETE
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS session_service_role_all ON "session";
CREATE POLICY session_service_role_all ON "session"
  FOR ALL
  TO service_role
  USING (true)
  WITH CHECK (true);

-- "account": a user sees which providers are linked; linking and unlinking go
-- through Better Auth on the server. Never readable by anon.
DROP POLICY IF EXISTS account_select_own ON "account";
CREATE POLICY account_select_own ON "account"
  FOR SELECT
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS account_service_role_all ON "account";
CREATE POLICY account_service_role_all ON "account"
  FOR ALL
  TO service_role
  USING (true)
  WITH CHECK (true);

-- "verification": one-time tokens (email verification, password reset) that
-- belong to no signed-in user yet: server only.
DROP POLICY IF EXISTS verification_service_role_all ON "verification";
CREATE POLICY verification_service_role_all ON "verification"
  FOR ALL
  TO service_role
  USING (true)
  WITH CHECK (true);

-- ============================================
-- GRANTS
-- ============================================
-- Least privilege, stated in full each run (REVOKE first, so default
-- privileges or hand-made grants never add to it). Column lists keep secrets
-- (session tokens, password hashes, OAuth tokens) out of reach of request
-- roles even for their own rows, and keep role, email and emailVerified out
-- of a user's own UPDATE.
REVOKE ALL ON "user", "session", "account", "verification" FROM authenticated, anon, service_role;

GRANT SELECT ON "user" TO authenticated;
GRANT UPDATE (name, image) ON "user" TO authenticated;

GRANT SELECT (id, "userId", "expiresAt", "ipAddress", "userAgent", "createdAt", "updatedAt")
  ON "session" TO authenticated;
GRANT DELETE ON "session" TO authenticated;

GRANT SELECT (id, "userId", "accountId", "providerId", scope, "accessTokenExpiresAt",
              "refreshTokenExpiresAt", "createdAt", "updatedAt")
  ON "account" TO authenticated;

GRANT SELECT, INSERT, UPDATE, DELETE ON "user", "session", "account", "verification" TO service_role;

-- ============================================
-- TRIGGERS
-- ============================================
DROP TRIGGER IF EXISTS user_set_updated_at ON "user";
CREATE TRIGGER user_set_updated_at
  BEFORE UPDATE ON "user"
  FOR EACH ROW
  EXECUTE FUNCTION public.set_updated_at();

DROP TRIGGER IF EXISTS session_set_updated_at ON "session";
CREATE TRIGGER session_set_updated_at
  BEFORE UPDATE ON "session"
  FOR EACH ROW
  EXECUTE FUNCTION public.set_updated_at();

DROP TRIGGER IF EXISTS account_set_updated_at ON "account";
CREATE TRIGGER account_set_updated_at
  BEFORE UPDATE ON "account"
  FOR EACH ROW
  EXECUTE FUNCTION public.set_updated_at();

DROP TRIGGER IF EXISTS verification_set_updated_at ON "verification";
CREATE TRIGGER verification_set_updated_at
  BEFORE UPDATE ON "verification"
  FOR EACH ROW
  EXECUTE FUNCTION public.set_updated_at();
