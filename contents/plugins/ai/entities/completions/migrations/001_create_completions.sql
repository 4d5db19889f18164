-- Migration: 001_create_completions.sql
-- Description: AI completions per user (model, prompt, output, token counts, cost), owner-only
-- Date: 2026-11-25
-- Entity: completions

-- ============================================
-- TABLES
-- ============================================
-- Prefixed with the plugin's name: plugin tables share the schema with every
-- theme and other plugin.
CREATE TABLE IF NOT EXISTS "ai_completions" (
  id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  prompt TEXT NOT NULL,
  output TEXT,
  status TEXT NOT NULL DEFAULT 'completed',
  "promptTokens" INTEGER NOT NULL DEFAULT 0,
  "completionTokens" INTEGER NOT NULL DEFAULT 0,
  "totalTokens" INTEGER GENERATED ALWAYS AS ("promptTokens" + "completionTokens") STORED,
  -- US dollars; provider prices go down to fractions of a cent per token.
  "costUsd" NUMERIC(12, 6) NOT NULL DEFAULT 0,
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT ai_completions_status_check CHECK (status IN ('pending', 'streaming', 'completed', 'failed')),
  CONSTRAINT ai_completions_tokens_check CHECK ("promptTokens" >= 0 AND "completionTokens" >= 0),
  CONSTRAINT ai_completions_cost_check CHECK ("costUsd" >= 0)
);

-- ============================================
-- INDEXES
-- ============================================
-- "My completions, newest first" (also serves the "userId" foreign key).
CREATE INDEX IF NOT EXISTS idx_ai_completions_user_id_created_at
  ON "ai_completions"("userId", "createdAt" DESC);

CREATE INDEX IF NOT EXISTS idx_ai_completions_model
  ON "ai_completions"(model);

CREATE INDEX IF NOT EXISTS idx_ai_completions_created_at
  ON "ai_completions"("createdAt");

-- ============================================
-- RLS
-- ============================================
ALTER TABLE "ai_completions" ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS ai_completions_select_own ON "ai_completions";
CREATE POLICY ai_completions_select_own ON "ai_completions"
  FOR SELECT
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS ai_completions_insert_own ON "ai_completions";
CREATE POLICY ai_completions_insert_own ON "ai_completions"
  FOR INSERT
  TO authenticated
  WITH CHECK ("userId" = public.get_auth_user_id());

-- A streamed completion is written in steps, in its owner's request.
DROP POLICY IF EXISTS ai_completions_update_own ON "ai_completions";
CREATE POLICY ai_completions_update_own ON "ai_completions"
  FOR UPDATE
  TO authenticated
  USING ("userId" = public.get_auth_user_id())
  WITH CHECK ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS ai_completions_delete_own ON "ai_completions";
CREATE POLICY ai_completions_delete_own ON "ai_completions"
  FOR DELETE
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

-- ============================================
-- GRANTS
-- ============================================
REVOKE ALL ON "ai_completions" FROM authenticated, anon, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON "ai_completions" TO authenticated;

-- ============================================
-- TRIGGERS
-- ============================================
DROP TRIGGER IF EXISTS ai_completions_set_updated_at ON "ai_completions";
CREATE TRIGGER ai_completions_set_updated_at
  BEFORE UPDATE ON "ai_completions"
  FOR EACH ROW
  EXECUTE FUNCTION public.set_updated_at();
