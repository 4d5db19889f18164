-- Migration: 007_api_key_sample_data.sql
-- Description: Sample API keys for the sample users; development only
-- Date: 2026-11-25

-- Development data: the engine skips *_sample_data files when NODE_ENV=production.
-- The sample keys, to use in development requests (Authorization: Bearer <key>):
--   superadmin@example.com  sk_dev_2cead7ff079f58039d3d96e2839b485b
--   admin@example.com       sk_dev_389b73e27db388f967ebbfac1d46ad68
--   alice@example.com       sk_dev_7ac34c75883894d756f4cf4be8c7f2de
--   alice@example.com       sk_dev_1e0583c02d6ef49abaaa1770d0e3cb30  (revoked)
--   bob@example.com         sk_dev_dabd72b909d8472226c0e51a949dfb23
-- Only their SHA-256 (built-in sha256(), lowercase hex) and first 12 characters
-- are stored, exactly as for real keys. Owners are found by email.

INSERT INTO "api_key" ("userId", name, "keyHash", "keyPrefix", scopes, "revokedAt")
SELECT u.id,
       k.name,
       encode(sha256(convert_to(k.plain_key, 'UTF8')), 'hex'),
       left(k.plain_key, 12),
       k.scopes,
       CASE WHEN k.revoked THEN now() END
FROM (
  VALUES
    ('superadmin@example.com', 'Superadmin sample key', 'sk_dev_2cead7ff079f58039d3d96e2839b485b', ARRAY['*'], FALSE),
    ('admin@example.com', 'Admin sample key', 'sk_dev_389b73e27db388f967ebbfac1d46ad68', ARRAY['*'], FALSE),
    ('alice@example.com', 'Alice read/write', 'sk_dev_7ac34c75883894d756f4cf4be8c7f2de', ARRAY['tasks:read', 'tasks:write'], FALSE),
    ('alice@example.com', 'Alice old key', 'sk_dev_1e0583c02d6ef49abaaa1770d0e3cb30', ARRAY['tasks:read'], TRUE),
    ('bob@example.com', 'Bob read only', 'sk_dev_dabd72b909d8472226c0e51a949dfb23', ARRAY['tasks:read'], FALSE)
) AS k(email, name, plain_key, scopes, revoked)
JOIN "user" u ON u.email = k.email
ON CONFLICT ("keyHash") DO NOTHING;
