//! ISO 20022 credit transfers: the `pain.001.001.09` message a bank accepts to pay many payees
//! from one account (SEPA credit transfers in EUR, the same message for other currencies), one
//! message per currency. Amounts are written in the currency's major unit with its ISO 4217
//! decimals, from the integer minor units Podium keeps.

use std::fmt::Write;

use time::{Date, OffsetDateTime};

use crate::Currency;

/// The account money is sent from (the marketplace's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debtor {
    pub name: String,
    pub iban: String,
    pub bic: String,
}

/// Where a payee is paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Account {
    Iban {
        iban: String,
        bic: Option<String>,
    },
    /// A domestic account number, with the bank's BIC or, failing that, its local code.
    Domestic {
        number: String,
        bic: Option<String>,
        bank_code: Option<String>,
    },
}

/// One credit transfer: its end-to-end id comes back in the bank's notifications (camt.054).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditTransfer {
    pub end_to_end_id: String,
    pub amount_minor: i64,
    pub creditor: String,
    pub account: Account,
    pub remittance: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub msg_id: String,
    pub created_at: OffsetDateTime,
    pub execution_date: Date,
    pub currency: Currency,
    pub initiator: String,
    pub debtor: Debtor,
    pub transfers: Vec<CreditTransfer>,
}

impl Message {
    /// The sum of the transfers, in minor units.
    pub fn total_minor(&self) -> i64 {
        self.transfers.iter().map(|t| t.amount_minor).sum()
    }

    /// SEPA when every transfer is in EUR to an IBAN of a SEPA country.
    pub fn is_sepa(&self) -> bool {
        self.currency.code() == "EUR"
            && self.transfers.iter().all(|t| match &t.account {
                Account::Iban { iban, .. } => crate::bank::SEPA.contains(&iban.get(..2).unwrap_or("")),
                Account::Domestic { .. } => false,
            })
    }
}

/// `minor` in the currency's major unit: 1050 EUR → `10.50`, 1000 JPY → `1000`.
pub fn decimal(minor: i64, currency: Currency) -> String {
    let e = u32::from(currency.exponent());
    if e == 0 {
        return minor.to_string();
    }
    let p = 10i64.pow(e);
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    let p = p.unsigned_abs();
    format!("{sign}{}.{:0width$}", m / p, m % p, width = e as usize)
}

/// Text as XML character data, cut to `max` characters (the message's field limits).
fn text(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| !c.is_control()).take(max) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn agent(out: &mut String, bic: Option<&str>, bank_code: Option<&str>) {
    out.push_str("<FinInstnId>");
    match (bic, bank_code) {
        (Some(b), _) => {
            let _ = write!(out, "<BICFI>{}</BICFI>", text(b, 11));
        }
        (None, Some(code)) => {
            let _ = write!(out, "<Othr><Id>{}</Id></Othr>", text(code, 35));
        }
        (None, None) => out.push_str("<Othr><Id>NOTPROVIDED</Id></Othr>"),
    }
    out.push_str("</FinInstnId>");
}

/// The `pain.001.001.09` document for the message.
pub fn pain001(m: &Message) -> String {
    let ccy = m.currency.code();
    let n = m.transfers.len();
    let sum = decimal(m.total_minor(), m.currency);
    let created = m
        .created_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into());
    let sepa = m.is_sepa();
    let mut out = String::with_capacity(1024 + n * 700);
    out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    out.push('\n');
    out.push_str(r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn>"#);
    let _ = write!(
        out,
        "<GrpHdr><MsgId>{}</MsgId><CreDtTm>{created}</CreDtTm><NbOfTxs>{n}</NbOfTxs><CtrlSum>{sum}</CtrlSum>\
         <InitgPty><Nm>{}</Nm></InitgPty></GrpHdr>",
        text(&m.msg_id, 35),
        text(&m.initiator, 140),
    );
    let _ = write!(
        out,
        "<PmtInf><PmtInfId>{}</PmtInfId><PmtMtd>TRF</PmtMtd><BtchBookg>false</BtchBookg><NbOfTxs>{n}</NbOfTxs>\
         <CtrlSum>{sum}</CtrlSum>",
        text(&m.msg_id, 35),
    );
    if sepa {
        out.push_str("<PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl></PmtTpInf>");
    }
    let _ = write!(
        out,
        "<ReqdExctnDt><Dt>{}</Dt></ReqdExctnDt><Dbtr><Nm>{}</Nm></Dbtr><DbtrAcct><Id><IBAN>{}</IBAN></Id>\
         <Ccy>{ccy}</Ccy></DbtrAcct><DbtrAgt>",
        m.execution_date,
        text(&m.debtor.name, 140),
        text(&m.debtor.iban, 34),
    );
    agent(&mut out, Some(&m.debtor.bic), None);
    let _ = write!(out, "</DbtrAgt><ChrgBr>{}</ChrgBr>", if sepa { "SLEV" } else { "SHAR" });
    for t in &m.transfers {
        let _ = write!(
            out,
            "<CdtTrfTxInf><PmtId><InstrId>{id}</InstrId><EndToEndId>{id}</EndToEndId></PmtId>\
             <Amt><InstdAmt Ccy=\"{ccy}\">{amt}</InstdAmt></Amt>",
            id = text(&t.end_to_end_id, 35),
            amt = decimal(t.amount_minor, m.currency),
        );
        let (bic, code) = match &t.account {
            Account::Iban { bic, .. } => (bic.as_deref(), None),
            Account::Domestic { bic, bank_code, .. } => (bic.as_deref(), bank_code.as_deref()),
        };
        if bic.is_some() || code.is_some() || !sepa {
            out.push_str("<CdtrAgt>");
            agent(&mut out, bic, code);
            out.push_str("</CdtrAgt>");
        }
        let _ = write!(out, "<Cdtr><Nm>{}</Nm></Cdtr><CdtrAcct><Id>", text(&t.creditor, 140));
        match &t.account {
            Account::Iban { iban, .. } => {
                let _ = write!(out, "<IBAN>{}</IBAN>", text(iban, 34));
            }
            Account::Domestic { number, .. } => {
                let _ = write!(out, "<Othr><Id>{}</Id></Othr>", text(number, 34));
            }
        }
        let _ =
            write!(out, "</Id></CdtrAcct><RmtInf><Ustrd>{}</Ustrd></RmtInf></CdtTrfTxInf>", text(&t.remittance, 140));
    }
    out.push_str("</PmtInf></CstmrCdtTrfInitn></Document>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").expect("EUR")
    }

    #[test]
    fn amounts_are_written_in_major_units() {
        assert_eq!(decimal(1050, eur()), "10.50");
        assert_eq!(decimal(5, eur()), "0.05");
        assert_eq!(decimal(1000, Currency::parse("JPY").expect("JPY")), "1000");
        assert_eq!(decimal(12_345, Currency::parse("KWD").expect("KWD")), "12.345");
    }

    #[test]
    fn a_sepa_message_names_its_transfers_and_totals() {
        let m = Message {
            msg_id: "run_1-EUR".into(),
            created_at: time::macros::datetime!(2026-12-06 10:00 UTC),
            execution_date: time::macros::date!(2026 - 12 - 07),
            currency: eur(),
            initiator: "Podium & Co".into(),
            debtor: Debtor { name: "Podium".into(), iban: "DE89370400440532013000".into(), bic: "COBADEFFXXX".into() },
            transfers: vec![
                CreditTransfer {
                    end_to_end_id: "po_1".into(),
                    amount_minor: 1050,
                    creditor: "Thames <Pins>".into(),
                    account: Account::Iban { iban: "GB29NWBK60161331926819".into(), bic: None },
                    remittance: "Podium payout po_1".into(),
                },
                CreditTransfer {
                    end_to_end_id: "po_2".into(),
                    amount_minor: 2000,
                    creditor: "Team".into(),
                    account: Account::Iban {
                        iban: "FR1420041010050500013M02606".into(),
                        bic: Some("PSSTFRPPPAR".into()),
                    },
                    remittance: "Podium payout po_2".into(),
                },
            ],
        };
        let xml = pain001(&m);
        assert!(m.is_sepa());
        assert!(xml.contains("<NbOfTxs>2</NbOfTxs><CtrlSum>30.50</CtrlSum>"), "{xml}");
        assert!(xml.contains("<SvcLvl><Cd>SEPA</Cd></SvcLvl>") && xml.contains("<ChrgBr>SLEV</ChrgBr>"));
        assert!(xml.contains(r#"<InstdAmt Ccy="EUR">10.50</InstdAmt>"#));
        assert!(xml.contains("<Nm>Thames &lt;Pins&gt;</Nm>") && xml.contains("Podium &amp; Co"), "escaped");
        assert!(xml.contains("<EndToEndId>po_2</EndToEndId>"));
    }
}
