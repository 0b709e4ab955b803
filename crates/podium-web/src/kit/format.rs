//! How pages write moments, waits, money and statuses in the visitor's language.

use podium_domain::order::ConsignmentStatus;
use time::OffsetDateTime;

use crate::kit::i18n::Tr;

/// "3 days", "5 hours", "12 minutes".
pub(crate) fn waited(tr: &Tr, since: OffsetDateTime, now: OffsetDateTime) -> String {
    let d = now - since;
    let (n, unit) = if d.whole_days() >= 1 {
        (d.whole_days(), "days")
    } else if d.whole_hours() >= 1 {
        (d.whole_hours(), "hours")
    } else {
        (d.whole_minutes().max(0), "minutes")
    };
    let key = if n == 1 { format!("wait-one-{unit}") } else { format!("wait-{unit}") };
    tr.t1(&key, "count", &n.to_string())
}

/// A moment as consoles and drops show it: `2026-11-29 14:05 UTC`.
pub(crate) fn date(t: OffsetDateTime) -> String {
    let d = t.date();
    format!("{d} {:02}:{:02} UTC", t.hour(), t.minute())
}

/// An amount in minor units of a currency given by its code, in the reader's format.
pub(crate) fn money(tr: &Tr, minor: i64, currency: &str) -> String {
    tr.money_of(minor, currency)
}

pub(crate) fn consignment_status(tr: &Tr, s: ConsignmentStatus) -> (String, &'static str) {
    let class = match s {
        ConsignmentStatus::Delivered | ConsignmentStatus::Completed => "good",
        ConsignmentStatus::Cancelled | ConsignmentStatus::Refunded => "bad",
        _ => "wait",
    };
    (tr.t(&format!("consignment-status-{}", s.as_str())), class)
}

pub fn category_name(tr: &Tr, slug: &str) -> String {
    let key = format!("category-{slug}");
    if tr.i18n.has(tr.lang, &key) {
        tr.t(&key)
    } else {
        slug.replace('-', " ")
    }
}

/// A day as stories show it (ISO 8601, the same in every language).
pub(crate) fn day(at: OffsetDateTime) -> String {
    at.date().to_string()
}

/// Why an IBAN, BIC or account number is refused, in the reader's language.
pub(crate) fn bank_error(tr: &Tr, e: &podium_domain::bank::BankError) -> String {
    use podium_domain::bank::BankError;
    match e {
        BankError::IbanShape => tr.t("bank-error-iban-shape"),
        BankError::IbanLength { country, expected, got } => tr.tn(
            "bank-error-iban-length",
            &[("country", country), ("expected", &expected.to_string()), ("got", &got.to_string())],
        ),
        BankError::IbanCountry(country) => tr.t1("bank-error-iban-country", "country", country),
        BankError::IbanChecksum => tr.t("bank-error-iban-checksum"),
        BankError::BicShape => tr.t("bank-error-bic-shape"),
        BankError::AccountShape => tr.t("bank-error-account-shape"),
    }
}

/// Why bank details are refused, in the reader's language.
pub(crate) fn account_problem(tr: &Tr, p: &podium_app::payout_files::AccountProblem) -> String {
    use podium_app::payout_files::AccountProblem;
    match p {
        AccountProblem::Holder => tr.t("bank-error-holder"),
        AccountProblem::Iban(e) | AccountProblem::Bic(e) | AccountProblem::AccountNumber(e) => bank_error(tr, e),
        AccountProblem::NoNumber => tr.t("bank-error-no-number"),
        AccountProblem::Country => tr.t("bank-error-country"),
        AccountProblem::NoBankCode => tr.t("bank-error-no-bank-code"),
    }
}
