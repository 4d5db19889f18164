-- Migration: 001_billing_plans_and_subscriptions.sql
-- Description: Billing plans (public price list) and per-user subscriptions (one live subscription per user)
-- Date: 2026-11-25

-- ============================================
-- TABLES
-- ============================================
-- Amounts are integer minor units (cents) of a lowercase ISO 4217 currency,
-- as payment providers report them.
CREATE TABLE IF NOT EXISTS "billing_plans" (
  id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  slug TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  "amountCents" INTEGER NOT NULL DEFAULT 0,
  currency TEXT NOT NULL DEFAULT 'usd',
  "billingInterval" TEXT NOT NULL DEFAULT 'month',
  features JSONB NOT NULL DEFAULT '[]'::jsonb,
  "isActive" BOOLEAN NOT NULL DEFAULT TRUE,
  "sortOrder" INTEGER NOT NULL DEFAULT 0,
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT billing_plans_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  CONSTRAINT billing_plans_amount_non_negative CHECK ("amountCents" >= 0),
  CONSTRAINT billing_plans_currency_format CHECK (currency ~ '^[a-z]{3}$'),
  CONSTRAINT billing_plans_interval_check CHECK ("billingInterval" IN ('month', 'year'))
);

-- Written by the payment provider's webhooks (service_role), read by the app.
CREATE TABLE IF NOT EXISTS "billing_subscriptions" (
  id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  -- A plan that still has subscriptions cannot be deleted: deactivate it.
  "planId" TEXT NOT NULL REFERENCES "billing_plans"(id) ON DELETE RESTRICT,
  status TEXT NOT NULL DEFAULT 'incomplete',
  "amountCents" INTEGER NOT NULL,
  currency TEXT NOT NULL DEFAULT 'usd',
  "providerSubscriptionId" TEXT,
  "currentPeriodStart" TIMESTAMPTZ,
  "currentPeriodEnd" TIMESTAMPTZ,
  "cancelAtPeriodEnd" BOOLEAN NOT NULL DEFAULT FALSE,
  "canceledAt" TIMESTAMPTZ,
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT billing_subscriptions_status_check CHECK (status IN (
    'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'unpaid', 'paused', 'canceled'
  )),
  CONSTRAINT billing_subscriptions_amount_non_negative CHECK ("amountCents" >= 0),
  CONSTRAINT billing_subscriptions_currency_format CHECK (currency ~ '^[a-z]{3}$'),
  CONSTRAINT billing_subscriptions_period_order CHECK (
    "currentPeriodStart" IS NULL OR "currentPeriodEnd" IS NULL OR "currentPeriodEnd" > "currentPeriodStart"
  )
);

-- ============================================
-- INDEXES
-- ============================================
CREATE UNIQUE INDEX IF NOT EXISTS idx_billing_plans_slug
  ON "billing_plans"(slug);

CREATE INDEX IF NOT EXISTS idx_billing_plans_active_sort
  ON "billing_plans"("sortOrder")
  WHERE "isActive" = true;

CREATE INDEX IF NOT EXISTS idx_billing_subscriptions_user_id
  ON "billing_subscriptions"("userId");

CREATE INDEX IF NOT EXISTS idx_billing_subscriptions_plan_id
  ON "billing_subscriptions"("planId");

CREATE INDEX IF NOT EXISTS idx_billing_subscriptions_status
  ON "billing_subscriptions"(status);

-- One live subscription per user: trialing, active and past_due all still
-- grant the plan. Ended or never-started ones may pile up.
CREATE UNIQUE INDEX IF NOT EXISTS idx_billing_subscriptions_one_live_per_user
  ON "billing_subscriptions"("userId")
  WHERE status IN ('trialing', 'active', 'past_due');

-- Webhooks find a subscription by the provider's id.
CREATE UNIQUE INDEX IF NOT EXISTS idx_billing_subscriptions_provider_id
  ON "billing_subscriptions"("providerSubscriptionId")
  WHERE "providerSubscriptionId" IS NOT NULL;

-- ============================================
-- RLS
-- ============================================
ALTER TABLE "billing_plans" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "billing_subscriptions" ENABLE ROW LEVEL SECURITY;

-- The price list is public, signed in or not.
DROP POLICY IF EXISTS billing_plans_public_read ON "billing_plans";
CREATE POLICY billing_plans_public_read ON "billing_plans"
  FOR SELECT
  TO anon, authenticated
  USING (true);

DROP POLICY IF EXISTS billing_plans_service_role_all ON "billing_plans";
CREATE POLICY billing_plans_service_role_all ON "billing_plans"
  FOR ALL
  TO service_role
  USING (true)
  WITH CHECK (true);

DROP POLICY IF EXISTS billing_subscriptions_select_own ON "billing_subscriptions";
CREATE POLICY billing_subscriptions_select_own ON "billing_subscriptions"
  FOR SELECT
  TO authenticated
  USING ("userId" = public.get_auth_user_id());

DROP POLICY IF EXISTS billing_subscriptions_select_admin ON "billing_subscriptions";
CREATE POLICY billing_subscriptions_select_admin ON "billing_subscriptions"
  FOR SELECT
  TO authenticated
  USING ((SELECT public.is_admin()));

-- Only the provider's word changes a subscription: users have no write policy.
DROP POLICY IF EXISTS billing_subscriptions_service_role_all ON "billing_subscriptions";
CREATE POLICY billing_subscriptions_service_role_all ON "billing_subscriptions"
  FOR ALL
  TO service_role
  USING (true)
  WITH CHECK (true);

-- ============================================
-- GRANTS
-- ============================================
REVOKE ALL ON "billing_plans", "billing_subscriptions" FROM authenticated, anon, service_role;
GRANT SELECT ON "billing_plans" TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE ON "billing_plans" TO service_role;
GRANT SELECT ON "billing_subscriptions" TO authenticated;
GRANT SELECT, INSERT, UPDATE ON "billing_subscriptions" TO service_role;

-- ============================================
-- TRIGGERS
-- ============================================
DROP TRIGGER IF EXISTS billing_plans_set_updated_at ON "billing_plans";
CREATE TRIGGER billing_plans_set_updated_at
  BEFORE UPDATE ON "billing_plans"
  FOR EACH ROW
  EXECUTE FUNCTION public.set_updated_at();

DROP TRIGGER IF EXISTS billing_subscriptions_set_updated_at ON "billing_subscriptions";
CREATE TRIGGER billing_subscriptions_set_updated_at
  BEFORE UPDATE ON "billing_subscriptions"
  FOR EACH ROW
  EXECUTE FUNCTION public.set_updated_at();
