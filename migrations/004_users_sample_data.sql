-- Migration: 004_users_sample_data.sql
-- Description: Sample users (a superadmin, an admin, members) with email/password sign-in and a few metas; development only
-- Date: 2026-11-25

-- Development data: the engine skips *_sample_data files when NODE_ENV=production.
-- Every sample user signs in with the password SamplePassword123!
-- (the account rows hold Better Auth's scrypt hash of it, "salt:key" in hex).
-- Ids are generated; later sample data finds these users by email.

-- ============================================
-- USERS
-- ============================================
INSERT INTO "user" (name, email, "emailVerified", role)
VALUES
  ('Sam Superadmin', 'superadmin@example.com', TRUE, 'superadmin'),
  ('Ada Admin', 'admin@example.com', TRUE, 'admin'),
  ('Alice Member', 'alice@example.com', TRUE, 'member'),
  ('Bob Member', 'bob@example.com', TRUE, 'member'),
  ('Carol Unverified', 'carol@example.com', FALSE, 'member')
ON CONFLICT (email) DO NOTHING;

-- ============================================
-- CREDENTIAL ACCOUNTS
-- ============================================
-- Better Auth's email/password provider: providerId 'credential', accountId = user id.
INSERT INTO "account" ("userId", "accountId", "providerId", password)
SELECT u.id, u.id, 'credential',
       '8152dbb4ec3f34d0a1c13eeb2d845c59:b2643b145bc5601367f82ba9b1389c7024bd27efbf20ad6fbd944baf7ac0109c5048f9b071b3bae8b3d439b0057e56db1be66d4df2c69d46e4406fde25c9376e'
FROM "user" u
WHERE u.email IN ('superadmin@example.com', 'admin@example.com', 'alice@example.com',
                  'bob@example.com', 'carol@example.com')
ON CONFLICT ("providerId", "accountId") DO NOTHING;

-- ============================================
-- METAS
-- ============================================
INSERT INTO "users_metas" ("userId", "metaKey", "metaValue", "dataType", "isPublic", "isSearchable")
SELECT u.id, m.meta_key, m.meta_value::jsonb, m.data_type, m.is_public, m.is_searchable
FROM (
  VALUES
    ('alice@example.com', 'bio', '{"text": "Writes the sample tasks."}', 'json', TRUE, TRUE),
    ('alice@example.com', 'locale', '"en"', 'string', FALSE, FALSE),
    ('bob@example.com', 'bio', '{"text": "Tries every plugin."}', 'json', TRUE, TRUE),
    ('bob@example.com', 'locale', '"es"', 'string', FALSE, FALSE)
) AS m(email, meta_key, meta_value, data_type, is_public, is_searchable)
JOIN "user" u ON u.email = m.email
ON CONFLICT ("userId", "metaKey") DO NOTHING;
