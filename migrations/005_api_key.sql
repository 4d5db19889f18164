-- Migration: 005_api_key.sql
-- Description: API keys for external access: SHA-256 hash and display prefix only, scopes, expiry, last use, revocation
-- Date: 2026-11-25

-- ============================================
-- TABLES
-- ============================================
-- The key itself is shown once, when it is created, and never stored: the
-- server keeps its SHA-256 (lowercase hex) to find it and a short prefix so
-- people can tell their keys apart.
CREATE TABLE IF NOT EXISTS "api_key" (
  id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  "keyHash" TEXT NOT NULL,
  "keyPrefix" TEXT NOT NULL,
  scopes TEXT[] NOT NULL DEFAULT '{}',
  "expiresAt" TIMESTAMPTZ,
  "lastUsedAt" TIMESTAMPTZ,
  "revokedAt" TIMESTAMPTZ,
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT api_key_name_not_blank CHECK (btrim(name) <> ''),
  CONSTRAINT api_key_hash_is_sha256_hex CHECK ("keyHash" ~ '^[0-9a-f]{64}$'),
  CONSTRAINT api_key_prefix_length CHECK (char_length("keyPrefix") BETWEEN 4 AND 16),
  CONSTRAINT api_key_scopes_no_nulls CHECK (array_position(scopes, NULL) IS NULL),
  CONSTRAINT api_key_expires_after_creation CHECK ("expiresAt" IS NULL OR "expiresAt" > "createdAt")
);

-- ============================================
-- INDEXES
-- ============================================
-- Finds a key by its hash on every API call; unique, so one hash is one key.
CREATE UNIQUE INDEX IF NOT EXISTS idx_api_key_key_hash
  ON "api_key"("keyHash");

CREATE INDEX IF NOT EXISTS idx_api_key_user_id
  ON "api_key"("userId");

CREATE INDEX IF NOT EXISTS idx_api_key_created_at
  ON "api_key"("createdAt");

-- ============================================
-- RLS
-- ============================================
ALTER TABLE "api_key" ENABLE ROW LEVEL SECURITY;

-- Owner only, for every command; admins get no access to other people's keys.
DROP POLICY IF EXISTS api_key_select_own ON "api_key";
CREATE POLICY api_key_select_own ON "api_key"
  FOR SELECT
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS api_key_insert_own ON "api_key";
CREATE POLICY api_key_insert_own ON "api_key"
  FOR INSERT
  TO authenticated
  WITH CHECK ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS api_key_update_own ON "api_key";
CREATE POLICY api_key_update_own ON "api_key"
  FOR UPDATE
  TO authenticated
  USING ("userId" = public.get_auth_user_id())
  WITH CHECK ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS api_key_delete_own ON "api_key";
CREATE POLICY api_key_delete_own ON "api_key"
  FOR DELETE
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

-- API authentication happens before anyone is known: the server (service_role)
-- looks a key up by hash, records its last use and may revoke it.
DROP POLICY IF EXISTS api_key_service_role_select ON "api_key";
CREATE POLICY api_key_service_role_select ON "api_key"
  FOR SELECT
  TO service_role
  USING (true);

DROP POLICY IF EXISTS api_key_service_role_update ON "api_key";
CREATE POLICY api_key_service_role_update ON "api_key"
  FOR UPDATE
  TO service_role
  USING (true)
  WITH CHECK (true);

-- ============================================
-- GRANTS
-- ============================================
-- An owner creates, renames, rescopes, revokes and deletes their keys, but
-- never rewrites a key's hash, prefix or owner after creation.
REVOKE ALL ON "api_key" FROM authenticated, anon, service_role;
GRANT SELECT, INSERT, DELETE ON "api_key" TO authenticated;
GRANT UPDATE (name, scopes, "expiresAt", "revokedAt") ON "api_key" TO authenticated;
GRANT SELECT ON "api_key" TO service_role;
GRANT UPDATE ("lastUsedAt", "revokedAt") ON "api_key" TO service_role;

-- ============================================
-- TRIGGERS
-- ============================================
DROP TRIGGER IF EXISTS api_key_set_updated_at ON "api_key";
CREATE TRIGGER api_key_set_updated_at
  BEFORE UPDATE ON "api_key"
  FOR EACH ROW
  EXECUTE FUNCTION public.set_updated_at();
