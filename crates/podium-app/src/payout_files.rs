//! Payouts by bank file (ISO 20022): a run writes one `pain.001` credit-transfer file per
//! currency, from the bank details each payee keeps in its console, and leaves every payout in
//! it "sending". The payouts are settled when the operator marks the file accepted by the bank
//! ([`accept_file`]) or when the bank's `camt.054` debit notification is imported
//! ([`import_camt054`]): a booked transfer is paid, a returned one is reversed in the ledger and
//! paid by a later run.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use podium_domain::bank;
use podium_domain::iso20022::{self, Account, CreditTransfer, Debtor, Message};
use podium_domain::Currency;
use quick_xml::events::Event;
use time::OffsetDateTime;

use crate::payouts::{PayOutcome, PayeeAccount, PayoutFile, PayoutProvider, PayoutRecord};
use crate::ports::{StoreError, StoreResult};
use crate::Store;

/// The payout reference of a transfer in file `id`.
fn file_ref(id: &str) -> String {
    format!("pain001:{id}")
}

/// Bank details as a payee typed them.
#[derive(Debug, Clone, Default)]
pub struct BankDetails<'a> {
    pub holder: &'a str,
    /// The bank's country, needed for a domestic account (an IBAN names its own).
    pub country: &'a str,
    pub iban: &'a str,
    pub bic: &'a str,
    pub account_number: &'a str,
    pub bank_code: &'a str,
}

/// Why bank details are refused, and which field to correct.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountProblem {
    #[error("give the account holder's name (up to 140 characters)")]
    Holder,
    #[error("{0}")]
    Iban(bank::BankError),
    #[error("{0}")]
    Bic(bank::BankError),
    #[error("{0}")]
    AccountNumber(bank::BankError),
    #[error("give an IBAN, or an account number where IBANs are not used")]
    NoNumber,
    #[error("choose the bank's country")]
    Country,
    #[error("give the bank's BIC or its local bank code")]
    NoBankCode,
}

impl AccountProblem {
    /// The form field to correct.
    pub fn field(&self) -> &'static str {
        match self {
            AccountProblem::Holder => "holder",
            AccountProblem::Iban(_) | AccountProblem::NoNumber => "iban",
            AccountProblem::Bic(_) | AccountProblem::NoBankCode => "bic",
            AccountProblem::AccountNumber(_) => "account_number",
            AccountProblem::Country => "country",
        }
    }
}

/// Checks what a payee typed into its bank details form; answers the account to keep, or why
/// it is refused.
pub fn check_account(
    payee_id: &str,
    typed: &BankDetails<'_>,
    by: &str,
    now: OffsetDateTime,
) -> Result<PayeeAccount, AccountProblem> {
    let BankDetails { holder, country, iban, bic, account_number, bank_code } = *typed;
    let holder = holder.trim();
    if holder.is_empty() || holder.chars().count() > 140 || holder.chars().any(char::is_control) {
        return Err(AccountProblem::Holder);
    }
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let bic = opt(bic).map(|b| bank::bic(&b)).transpose().map_err(AccountProblem::Bic)?;
    let (iban, account_number, country) = match opt(iban) {
        Some(i) => {
            let i = bank::iban(&i).map_err(AccountProblem::Iban)?;
            let country = i[..2].to_string();
            (Some(i), None, country)
        }
        None => {
            let n = opt(account_number).ok_or(AccountProblem::NoNumber)?;
            let n = bank::account_number(&n).map_err(AccountProblem::AccountNumber)?;
            let c = country.trim().to_ascii_uppercase();
            podium_domain::Country::parse(&c).map_err(|_| AccountProblem::Country)?;
            if bic.is_none() && opt(bank_code).is_none() {
                return Err(AccountProblem::NoBankCode);
            }
            (None, Some(n), c)
        }
    };
    let bank_code = opt(bank_code).filter(|c| c.len() <= 35 && c.chars().all(|x| x.is_ascii_alphanumeric()));
    Ok(PayeeAccount {
        payee_id: payee_id.to_string(),
        holder: holder.to_string(),
        country,
        iban,
        bic,
        account_number,
        bank_code,
        updated_by: by.to_string(),
        updated_at: now,
    })
}

/// The ISO 20022 payout provider: transfers gathered per currency during a run, written as
/// files when it finishes.
pub struct Iso20022Payouts {
    store: Arc<dyn Store>,
    debtor: Debtor,
    initiator: String,
    execution_date: time::Date,
    gathered: Mutex<BTreeMap<String, Vec<CreditTransfer>>>,
}

impl Iso20022Payouts {
    /// `debtor` is the marketplace's own account the transfers are paid from.
    pub fn new(
        store: Arc<dyn Store>,
        debtor: Debtor,
        initiator: &str,
        execution_date: time::Date,
    ) -> Result<Self, String> {
        let iban = bank::iban(&debtor.iban).map_err(|e| format!("the paying account's IBAN: {e}"))?;
        let bic = bank::bic(&debtor.bic).map_err(|e| format!("the paying account's BIC: {e}"))?;
        if debtor.name.trim().is_empty() {
            return Err("the paying account's holder name is missing".into());
        }
        Ok(Iso20022Payouts {
            store,
            debtor: Debtor { iban, bic, ..debtor },
            initiator: initiator.to_string(),
            execution_date,
            gathered: Mutex::new(BTreeMap::new()),
        })
    }
}

#[async_trait]
impl PayoutProvider for Iso20022Payouts {
    async fn pay(&self, p: &PayoutRecord, payee_slug: &str) -> StoreResult<PayOutcome> {
        // Already in a file that was written: it waits for the bank.
        if let Some(id) = p.provider_ref.as_deref().and_then(|r| r.strip_prefix("pain001:")) {
            if self.store.payout_file(id).await?.is_some() {
                return Ok(PayOutcome::Pending(file_ref(id)));
            }
        }
        let Some(a) = self.store.payee_account(&p.payee_id).await? else {
            // A remittance's payee is a country's authorities, whose account the operator keeps.
            let why = if podium_domain::Country::parse(&p.payee_id).is_ok() && p.payee_id.len() == 2 {
                format!(
                    "the tax authorities of {} have no bank account on file: add it from the payouts page (Bank account)",
                    p.payee_id
                )
            } else {
                format!("{payee_slug} has no bank account on file: add one in its console (Money → Bank account)")
            };
            return Ok(PayOutcome::Failed(why));
        };
        let account = match (&a.iban, &a.account_number) {
            (Some(iban), _) => Account::Iban { iban: iban.clone(), bic: a.bic.clone() },
            (None, Some(n)) => {
                Account::Domestic { number: n.clone(), bic: a.bic.clone(), bank_code: a.bank_code.clone() }
            }
            (None, None) => return Ok(PayOutcome::Failed(format!("{payee_slug}'s bank account has no number"))),
        };
        let transfer = CreditTransfer {
            end_to_end_id: p.id.clone(),
            amount_minor: p.amount,
            creditor: a.holder.clone(),
            account,
            remittance: format!("Podium payout {} {}", p.id, p.run_id),
        };
        let id = format!("{}-{}", p.run_id, p.currency);
        self.gathered
            .lock()
            .map_err(|_| StoreError::Backend("payout file lock".into()))?
            .entry(p.currency.clone())
            .or_default()
            .push(transfer);
        Ok(PayOutcome::Pending(file_ref(&id)))
    }

    async fn finish(&self, run_id: &str, now: OffsetDateTime) -> StoreResult<()> {
        let gathered =
            std::mem::take(&mut *self.gathered.lock().map_err(|_| StoreError::Backend("payout file lock".into()))?);
        for (currency, transfers) in gathered {
            let c = Currency::parse(&currency).map_err(|e| StoreError::Backend(e.to_string()))?;
            let message = Message {
                msg_id: format!("{run_id}-{currency}"),
                created_at: now,
                execution_date: self.execution_date,
                currency: c,
                initiator: self.initiator.clone(),
                debtor: self.debtor.clone(),
                transfers,
            };
            let file = PayoutFile {
                id: message.msg_id.clone(),
                run_id: run_id.to_string(),
                currency,
                transfers: i64::try_from(message.transfers.len()).unwrap_or(i64::MAX),
                total: message.total_minor(),
                body: iso20022::pain001(&message),
                status: "written".into(),
                created_at: now,
            };
            self.store.save_payout_file(&file).await?;
        }
        Ok(())
    }
}

/// The operator says the bank accepted a file: its payouts still sending are paid. Answers how
/// many were settled, or `None` for an unknown file.
pub async fn accept_file(store: &dyn Store, id: &str, now: OffsetDateTime) -> StoreResult<Option<usize>> {
    if store.payout_file(id).await?.is_none() {
        return Ok(None);
    }
    let reference = file_ref(id);
    let mut settled = 0;
    for p in store.payouts_with_ref(&reference).await? {
        if store.settle_payout(&p.id, Ok(&reference), &[], now).await? {
            settled += 1;
        }
    }
    store.accept_payout_file(id, now).await?;
    Ok(Some(settled))
}

/// One transfer as a bank's debit notification reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notified {
    pub end_to_end_id: String,
    /// `BOOK`, `PDNG`…
    pub status: String,
    /// A reversal or a return (the payee's bank sent it back).
    pub returned: bool,
    /// The return's reason code, when given.
    pub reason: Option<String>,
}

/// What an imported notification did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CamtSummary {
    pub paid: usize,
    pub returned: usize,
    /// Transfers named that are no payout waiting for the bank (already settled, or not ours).
    pub ignored: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CamtError {
    #[error("the file is not a camt.054 notification: {0}")]
    Format(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads the transfers of a `camt.054` (BankToCustomerDebitCreditNotification): each entry's
/// status and reversal indicator, each transaction's end-to-end id and return reason.
pub fn read_camt054(xml: &str) -> Result<Vec<Notified>, CamtError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut path: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let (mut entry_status, mut entry_reversal) = (String::new(), false);
    let mut tx: Option<Notified> = None;
    let mut seen_root = false;
    loop {
        match reader.read_event().map_err(|e| CamtError::Format(e.to_string()))? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if name == "BkToCstmrDbtCdtNtfctn" {
                    seen_root = true;
                }
                if name == "Ntry" {
                    entry_status.clear();
                    entry_reversal = false;
                }
                if name == "TxDtls" {
                    tx = Some(Notified {
                        status: entry_status.clone(),
                        returned: entry_reversal,
                        ..Notified::default()
                    });
                }
                path.push(name);
            }
            Event::End(_) if path.pop().as_deref() == Some("TxDtls") => {
                if let Some(t) = tx.take().filter(|t| !t.end_to_end_id.is_empty()) {
                    out.push(t);
                }
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| CamtError::Format(e.to_string()))?.trim().to_string();
                let last = |n: usize| path.iter().rev().take(n).rev().map(String::as_str).collect::<Vec<_>>();
                match last(2).as_slice() {
                    ["Sts", "Cd"] if path.iter().any(|p| p == "Ntry") && tx.is_none() => entry_status = text,
                    [_, "Sts"] if tx.is_none() => entry_status = text,
                    ["Ntry", "RvslInd"] => entry_reversal = text == "true",
                    ["Refs", "EndToEndId"] => {
                        if let Some(t) = tx.as_mut() {
                            t.end_to_end_id = text;
                        }
                    }
                    ["Rsn", "Cd"] if path.iter().any(|p| p == "RtrInf") => {
                        if let Some(t) = tx.as_mut() {
                            t.returned = true;
                            t.reason = Some(text);
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err(CamtError::Format("no BkToCstmrDbtCdtNtfctn element".into()));
    }
    Ok(out)
}

/// Imports a bank's `camt.054`: each booked transfer settles its payout as paid, each returned
/// one fails it (reversed in the ledger; the balance is paid by a later run).
pub async fn import_camt054(store: &dyn Store, xml: &str, now: OffsetDateTime) -> Result<CamtSummary, CamtError> {
    let mut summary = CamtSummary::default();
    for n in read_camt054(xml)? {
        let Some(p) = store.payout(&n.end_to_end_id).await?.filter(|p| p.status == "sending") else {
            summary.ignored += 1;
            continue;
        };
        if n.returned {
            let why = format!("returned by the payee's bank ({})", n.reason.as_deref().unwrap_or("no reason given"));
            if crate::payouts::fail(store, &p, &why, now).await? {
                summary.returned += 1;
            }
        } else if n.status == "BOOK" {
            let reference = p.provider_ref.clone().unwrap_or_else(|| "camt054".into());
            if store.settle_payout(&p.id, Ok(&reference), &[], now).await? {
                summary.paid += 1;
            }
        } else {
            summary.ignored += 1;
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_names_booked_and_returned_transfers() {
        let xml = r#"<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
 <GrpHdr><MsgId>N1</MsgId><CreDtTm>2026-12-07T09:00:00Z</CreDtTm></GrpHdr>
 <Ntfctn><Id>N1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>
  <Ntry><Amt Ccy="EUR">10.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BkTxCd/>
   <NtryDtls><TxDtls><Refs><EndToEndId>po_1</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
  <Ntry><Amt Ccy="EUR">20.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd><Sts><Cd>BOOK</Cd></Sts><BkTxCd/>
   <NtryDtls><TxDtls><Refs><EndToEndId>po_2</EndToEndId></Refs><RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>
 </Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"#;
        let n = read_camt054(xml).expect("read");
        assert_eq!(n.len(), 2);
        assert_eq!((n[0].end_to_end_id.as_str(), n[0].status.as_str(), n[0].returned), ("po_1", "BOOK", false));
        assert_eq!((n[1].end_to_end_id.as_str(), n[1].returned, n[1].reason.as_deref()), ("po_2", true, Some("AC04")));
        assert!(read_camt054("<Document><Other/></Document>").is_err());
    }

    #[test]
    fn bank_details_are_checked() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let typed = |holder, country, iban, bic, account_number, bank_code| BankDetails {
            holder,
            country,
            iban,
            bic,
            account_number,
            bank_code,
        };
        let ok = check_account(
            "s1",
            &typed("Thames Pins Ltd", "", "GB29 NWBK 6016 1331 9268 19", "nwbkgb2l", "", ""),
            "me",
            now,
        )
        .expect("ok");
        assert_eq!(
            (ok.iban.as_deref(), ok.bic.as_deref(), ok.country.as_str()),
            (Some("GB29NWBK60161331926819"), Some("NWBKGB2L"), "GB")
        );
        let bad = check_account("s1", &typed("T", "", "GB29 NWBK 6016 1331 9268 18", "", "", ""), "me", now);
        assert_eq!(bad.as_ref().map_err(AccountProblem::field), Err("iban"));
        assert_eq!(bad.err(), Some(AccountProblem::Iban(bank::BankError::IbanChecksum)), "a mistyped character");
        let domestic =
            check_account("s2", &typed("Hanok Threads", "KR", "", "", "123-456-789012", "088"), "me", now).expect("ok");
        assert_eq!(domestic.account_number.as_deref(), Some("123456789012"));
        assert_eq!(
            check_account("s2", &typed("H", "KR", "", "", "123456", ""), "me", now).err(),
            Some(AccountProblem::NoBankCode)
        );
    }
}
