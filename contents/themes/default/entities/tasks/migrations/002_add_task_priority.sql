-- Migration: 002_add_task_priority.sql
-- Description: Adds a priority column to tasks (documented idempotent pattern) and its index
-- Date: 2026-11-25
-- Entity: tasks

-- ============================================
-- COLUMNS
-- ============================================
-- The column and its CHECK are added together, once: the information_schema
-- test makes the block a no-op on every later run.
DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM information_schema.columns
    WHERE table_schema = current_schema()
      AND table_name = 'tasks'
      AND column_name = 'priority'
  ) THEN
    ALTER TABLE "tasks" ADD COLUMN priority TEXT DEFAULT 'medium'
      CONSTRAINT tasks_priority_check CHECK (priority IN ('low', 'medium', 'high', 'urgent'));
  END IF;
END $$;

-- ============================================
-- INDEXES
-- ============================================
CREATE INDEX IF NOT EXISTS idx_tasks_priority
  ON "tasks"(priority);
