-- API tokens expire, may be read-only, and say why they were revoked (by the owner, a
-- password change, an admin's password reset, the account's deactivation).
-- A row written without an expiry is expired at once (fail closed).
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN revoked_reason TEXT;
-- Tokens made before expiry existed live 90 days from this upgrade, so integrations
-- have time to move to a new token.
UPDATE api_tokens SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 + 90 * 86400000;
-- A disabled account's tokens were refused but would have come back with the account.
UPDATE api_tokens SET revoked_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000, revoked_reason = 'account_disabled'
    WHERE revoked_at IS NULL AND user_id IN (SELECT id FROM users WHERE disabled <> 0);
UPDATE api_tokens SET revoked_reason = 'owner' WHERE revoked_at IS NOT NULL AND revoked_reason IS NULL;
