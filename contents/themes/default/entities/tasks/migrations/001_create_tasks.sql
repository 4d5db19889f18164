-- Migration: 001_create_tasks.sql
-- Description: Tasks entity: the documented tasks table with owner policies for every command, indexes and trigger
-- Date: 2026-11-25
-- Entity: tasks

-- ============================================
-- TABLES
-- ============================================
CREATE TABLE IF NOT EXISTS "tasks" (
  id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  description TEXT,
  status TEXT DEFAULT 'todo',
  "dueDate" TIMESTAMPTZ,
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- ============================================
-- INDEXES
-- ============================================
CREATE INDEX IF NOT EXISTS idx_tasks_user_id
  ON "tasks"("userId");

CREATE INDEX IF NOT EXISTS idx_tasks_status
  ON "tasks"(status);

CREATE INDEX IF NOT EXISTS idx_tasks_due_date
  ON "tasks"("dueDate");

CREATE INDEX IF NOT EXISTS idx_tasks_created_at
  ON "tasks"("createdAt");

-- ============================================
-- RLS
-- ============================================
-- A task is its owner's alone, admins included.
ALTER TABLE "tasks" ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS "users_can_view_own_tasks" ON "tasks";
CREATE POLICY "users_can_view_own_tasks" ON "tasks"
  FOR SELECT
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS "users_can_create_own_tasks" ON "tasks";
CREATE POLICY "users_can_create_own_tasks" ON "tasks"
  FOR INSERT
  TO authenticated
  WITH CHECK ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS "users_can_update_own_tasks" ON "tasks";
CREATE POLICY "users_can_update_own_tasks" ON "tasks"
  FOR UPDATE
  TO authenticated
  USING ("userId" = public.get_auth_user_id())
  WITH CHECK ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS "users_can_delete_own_tasks" ON "tasks";
CREATE POLICY "users_can_delete_own_tasks" ON "tasks"
  FOR DELETE
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

-- ============================================
-- GRANTS
-- ============================================
REVOKE ALL ON "tasks" FROM authenticated, anon, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON "tasks" TO authenticated;

-- ============================================
-- TRIGGERS
-- ============================================
DROP TRIGGER IF EXISTS tasks_set_updated_at ON "tasks";
CREATE TRIGGER tasks_set_updated_at
  BEFORE UPDATE ON "tasks"
  FOR EACH ROW
  EXECUTE FUNCTION public.set_updated_at();
