-- Token lifecycle: optional expiry, last use, unique names (so `thermaliq
-- token revoke --name N` and `DELETE /admin/tokens/{name}` name one token).
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMPTZ;
-- Names were not unique before: later duplicates get their id appended.
UPDATE api_tokens SET name = name || ' (' || token_id || ')'
WHERE token_id NOT IN (SELECT MIN(token_id) FROM api_tokens GROUP BY name);
CREATE UNIQUE INDEX idx_api_tokens_name ON api_tokens (name);
