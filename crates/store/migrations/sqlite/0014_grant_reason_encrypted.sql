-- The break-the-glass reason is kept encrypted (XChaCha20-Poly1305 bound to the column
-- `identity_grants.reason`, like the identities). Migrations run without the key, so the
-- reasons written before this version stay in `legacy_reason` until the first start with
-- the key encrypts them into `reason_enc` and blanks them (`Store::encrypt_legacy_plaintext`).
-- New grants write '' there.
ALTER TABLE identity_grants RENAME COLUMN reason TO legacy_reason;
ALTER TABLE identity_grants ADD COLUMN reason_enc TEXT;
