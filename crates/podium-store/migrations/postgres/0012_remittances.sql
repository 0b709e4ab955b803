-- Remittances: a payout run also pays each country's authorities the VAT and duty collected
-- for it, so a payee is an organisation or a country (its ISO code).
ALTER TABLE payouts DROP CONSTRAINT payouts_payee_id_fkey;
-- Taxes and duties refunded after they were remitted are set off against the next remittance.
UPDATE ledger_accounts SET may_go_negative = 1 WHERE kind IN ('tax_payable', 'duty_payable');
