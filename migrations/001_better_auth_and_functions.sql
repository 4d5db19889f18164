-- Migration: 001_better_auth_and_functions.sql
-- Description: RLS roles, helper functions (get_auth_user_id, set_updated_at, is_admin) and the Better Auth core tables
-- Date: 2026-11-25

-- ============================================
-- ROLES
-- ============================================
-- The roles RLS policies are written for. Managed platforms (Supabase) already
-- have them; plain PostgreSQL and PGlite do not. Roles are cluster-wide, so two
-- databases of one server may be migrated at the same moment: the loser of that
-- race gets duplicate_object or unique_violation, which means "already there".
-- NOLOGIN: the application connects with its own login role and switches with
-- SET ROLE. No BYPASSRLS either: service_role gets explicit policies instead.
DO $$
DECLARE
  role_name TEXT;
BEGIN
  FOREACH role_name IN ARRAY ARRAY['authenticated', 'anon', 'service_role'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = role_name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
      EXCEPTION
        WHEN duplicate_object OR unique_violation THEN
          NULL;
      END;
    END IF;
  END LOOP;
END $$;

GRANT USAGE ON SCHEMA public TO authenticated, anon, service_role;

-- ============================================
-- FUNCTIONS
-- ============================================
-- The contract with the application: it sets app.user_id per request
-- (SELECT set_config('app.user_id', <id>, true) inside the request's
-- transaction). NULL when unset, or empty after a SET LOCAL went out of scope.
CREATE OR REPLACE FUNCTION public.get_auth_user_id()
RETURNS TEXT
LANGUAGE sql
STABLE
AS $$
  SELECT NULLIF(pg_catalog.current_setting('app.user_id', true), '')
$$;

COMMENT ON FUNCTION public.get_auth_user_id() IS
  'Id of the user the current request acts for (setting app.user_id), NULL when unset';

-- Trigger function for every table with "updatedAt".
CREATE OR REPLACE FUNCTION public.set_updated_at()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
  NEW."updatedAt" = now();
  RETURN NEW;
END;
$$;

-- ============================================
-- TABLES (Better Auth core schema)
-- ============================================
-- Better Auth's own table and column names (camelCase, TEXT ids). Better Auth
-- generates ids itself; the defaults serve rows inserted from SQL.
CREATE TABLE IF NOT EXISTS "user" (
  id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  "emailVerified" BOOLEAN NOT NULL DEFAULT FALSE,
  image TEXT,
  role TEXT NOT NULL DEFAULT 'member',
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT user_email_unique UNIQUE (email),
  CONSTRAINT user_role_check CHECK (role IN ('member', 'admin', 'superadmin'))
);

CREATE TABLE IF NOT EXISTS "session" (
  id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  token TEXT NOT NULL,
  "expiresAt" TIMESTAMPTZ NOT NULL,
  "ipAddress" TEXT,
  "userAgent" TEXT,
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT session_token_unique UNIQUE (token)
);

CREATE TABLE IF NOT EXISTS "account" (
  id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  "accountId" TEXT NOT NULL,
  "providerId" TEXT NOT NULL,
  "accessToken" TEXT,
  "refreshToken" TEXT,
  "idToken" TEXT,
  "accessTokenExpiresAt" TIMESTAMPTZ,
  "refreshTokenExpiresAt" TIMESTAMPTZ,
  scope TEXT,
  password TEXT,
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  -- One provider account belongs to one user.
  CONSTRAINT account_provider_account_unique UNIQUE ("providerId", "accountId")
);

CREATE TABLE IF NOT EXISTS "verification" (
  id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  identifier TEXT NOT NULL,
  value TEXT NOT NULL,
  "expiresAt" TIMESTAMPTZ NOT NULL,
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Fail closed until 002 adds the policies and grants: RLS on, and no privilege
-- for the request roles, even where default privileges (Supabase) grant them
-- everything on every new table.
ALTER TABLE "user" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "session" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "account" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "verification" ENABLE ROW LEVEL SECURITY;

REVOKE ALL ON "user", "session", "account", "verification" FROM authenticated, anon, service_role;

-- ============================================
-- FUNCTIONS (that read the tables above)
-- ============================================
-- True when the current request's user is an admin or superadmin. SECURITY
-- DEFINER so that policies on "user" itself can use it without recursing into
-- "user"'s own policies; an empty search_path so that nothing a caller puts on
-- its path can stand in for the objects it names.
CREATE OR REPLACE FUNCTION public.is_admin()
RETURNS BOOLEAN
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
  SELECT EXISTS (
    SELECT 1
    FROM public."user"
    WHERE id = public.get_auth_user_id()
      AND role IN ('admin', 'superadmin')
  )
$$;

COMMENT ON FUNCTION public.is_admin() IS
  'Whether the current request''s user (app.user_id) has the admin or superadmin role';

-- Only the request roles may call it (functions are executable by PUBLIC by default).
REVOKE ALL ON FUNCTION public.is_admin() FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.is_admin() TO authenticated, service_role;
