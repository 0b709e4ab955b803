//! Reading ECB reference-rate files: the daily/historical XML (`gesmes:Envelope`) and the CSV
//! (`Date, USD, JPY, …` with `N/A` for missing values). Parsing is pure; [`import`] stores.

use std::collections::BTreeSet;
use std::str::FromStr;

use podium_domain::{Currency, Rate};
use quick_xml::events::Event;
use rust_decimal::Decimal;
use time::Date;

use crate::ports::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum FxImportError {
    #[error("line {line}: {reason}")]
    Invalid { line: usize, reason: String },
    #[error("the file holds no exchange rates (expected the ECB XML or CSV format)")]
    Empty,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, Default)]
pub struct FxReport {
    pub rates: Vec<Rate>,
    /// Cells marked `N/A` (the ECB publishes no rate that day).
    pub not_available: usize,
    /// Codes in the file that are no longer ISO 4217 currencies (e.g. CYP in historical files).
    pub unknown_currencies: BTreeSet<String>,
}

impl FxReport {
    pub fn currencies(&self) -> BTreeSet<Currency> {
        self.rates.iter().map(|r| r.currency).collect()
    }

    pub fn date_range(&self) -> Option<(Date, Date)> {
        let min = self.rates.iter().map(|r| r.date).min()?;
        let max = self.rates.iter().map(|r| r.date).max()?;
        Some((min, max))
    }

    /// One line for the command line and the operator console.
    pub fn summary(&self) -> String {
        let range = match self.date_range() {
            Some((a, b)) if a == b => format!("dated {a}"),
            Some((a, b)) => format!("dated {a} to {b}"),
            None => "no dates".to_string(),
        };
        let mut s = format!("imported {} rates for {} currencies, {range}", self.rates.len(), self.currencies().len());
        if self.not_available > 0 {
            s.push_str(&format!("; {} cells were N/A", self.not_available));
        }
        if !self.unknown_currencies.is_empty() {
            let codes: Vec<&str> = self.unknown_currencies.iter().map(String::as_str).collect();
            s.push_str(&format!("; skipped retired currencies {}", codes.join(", ")));
        }
        s
    }
}

/// Parses either ECB format, chosen by the first non-blank character.
pub fn parse(content: &str, source: &str) -> Result<FxReport, FxImportError> {
    let trimmed = content.trim_start_matches('\u{feff}').trim_start();
    let report = if trimmed.starts_with('<') { parse_xml(trimmed, source)? } else { parse_csv(trimmed, source)? };
    if report.rates.is_empty() {
        return Err(FxImportError::Empty);
    }
    Ok(report)
}

fn line_of(content: &str, byte_pos: usize) -> usize {
    content.as_bytes()[..byte_pos.min(content.len())].iter().filter(|b| **b == b'\n').count() + 1
}

fn parse_rate(text: &str, currency: Currency, line: usize) -> Result<Decimal, FxImportError> {
    let rate = Decimal::from_str(text.trim()).map_err(|_| FxImportError::Invalid {
        line,
        reason: format!("rate {text:?} for {currency} is not a decimal number"),
    })?;
    if rate <= Decimal::ZERO {
        return Err(FxImportError::Invalid {
            line,
            reason: format!("rate for {currency} must be positive, got {rate}"),
        });
    }
    Ok(rate)
}

pub fn parse_xml(content: &str, source: &str) -> Result<FxReport, FxImportError> {
    let mut reader = quick_xml::Reader::from_str(content);
    let mut report = FxReport::default();
    let mut date: Option<Date> = None;
    let mut saw_envelope = false;
    loop {
        let pos = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| FxImportError::Invalid {
            line: line_of(content, pos),
            reason: format!("not well-formed XML: {e}"),
        })?;
        let e = match event {
            Event::Start(e) | Event::Empty(e) => e,
            Event::Eof => break,
            _ => continue,
        };
        let line = line_of(content, pos);
        let name = e.local_name();
        if name.as_ref() == b"Envelope" {
            saw_envelope = true;
        }
        if name.as_ref() != b"Cube" {
            continue;
        }
        let (mut time_attr, mut currency, mut rate) = (None, None, None);
        for attr in e.attributes() {
            let attr = attr.map_err(|e| FxImportError::Invalid { line, reason: format!("bad attribute: {e}") })?;
            let value = attr
                .unescape_value()
                .map_err(|e| FxImportError::Invalid { line, reason: format!("bad attribute value: {e}") })?
                .into_owned();
            match attr.key.local_name().as_ref() {
                b"time" => time_attr = Some(value),
                b"currency" => currency = Some(value),
                b"rate" => rate = Some(value),
                _ => {}
            }
        }
        if let Some(t) = time_attr {
            date = Some(
                parse_date(&t)
                    .ok_or_else(|| FxImportError::Invalid { line, reason: format!("date {t:?} is not YYYY-MM-DD") })?,
            );
        }
        if let (Some(code), Some(rate)) = (currency, rate) {
            let Some(date) = date else {
                return Err(FxImportError::Invalid {
                    line,
                    reason: format!("rate for {code} appears before any Cube time=\"…\" date"),
                });
            };
            let Ok(currency) = Currency::parse(&code) else {
                report.unknown_currencies.insert(code);
                continue;
            };
            let per_eur = parse_rate(&rate, currency, line)?;
            report.rates.push(Rate { currency, per_eur, date, source: source.to_string() });
        }
    }
    if !saw_envelope && report.rates.is_empty() {
        return Err(FxImportError::Invalid { line: 1, reason: "expected an ECB gesmes:Envelope document".into() });
    }
    Ok(report)
}

/// ECB dates: ISO `2026-11-27` (XML, historical CSV) or `27 November 2026` (daily CSV).
fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let iso = time::macros::format_description!("[year]-[month]-[day]");
    let long = time::macros::format_description!("[day padding:none] [month repr:long] [year]");
    let long_padded = time::macros::format_description!("[day] [month repr:long] [year]");
    Date::parse(s, &iso).or_else(|_| Date::parse(s, &long)).or_else(|_| Date::parse(s, &long_padded)).ok()
}

pub fn parse_csv(content: &str, source: &str) -> Result<FxReport, FxImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(content.as_bytes());
    let mut report = FxReport::default();
    let mut columns: Vec<Option<Currency>> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 1;
        let record = record.map_err(|e| FxImportError::Invalid { line, reason: format!("unreadable CSV: {e}") })?;
        if i == 0 {
            if !record.get(0).is_some_and(|h| h.eq_ignore_ascii_case("date")) {
                return Err(FxImportError::Invalid {
                    line,
                    reason: "the first column must be \"Date\" (ECB CSV layout)".into(),
                });
            }
            for code in record.iter().skip(1) {
                if code.is_empty() {
                    columns.push(None);
                    continue;
                }
                match Currency::parse(code) {
                    Ok(c) => columns.push(Some(c)),
                    Err(_) => {
                        report.unknown_currencies.insert(code.to_string());
                        columns.push(None);
                    }
                }
            }
            continue;
        }
        let Some(date_cell) = record.get(0).filter(|d| !d.is_empty()) else { continue };
        let date = parse_date(date_cell)
            .ok_or_else(|| FxImportError::Invalid { line, reason: format!("date {date_cell:?} is not a date") })?;
        for (cell, column) in record.iter().skip(1).zip(&columns) {
            let Some(currency) = column else { continue };
            if cell.is_empty() || cell.eq_ignore_ascii_case("N/A") {
                report.not_available += 1;
                continue;
            }
            let per_eur = parse_rate(cell, *currency, line)?;
            report.rates.push(Rate { currency: *currency, per_eur, date, source: source.to_string() });
        }
    }
    Ok(report)
}

/// Parses and stores a rates file; nothing is stored when any part of it is invalid.
pub async fn import(store: &dyn Store, content: &str, source: &str) -> Result<FxReport, FxImportError> {
    let report = parse(content, source)?;
    store.save_rates(&report.rates).await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const DAILY_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender>
		<gesmes:name>European Central Bank</gesmes:name>
	</gesmes:Sender>
	<Cube>
		<Cube time='2026-11-27'>
			<Cube currency='USD' rate='1.0565'/>
			<Cube currency='JPY' rate='161.25'/>
			<Cube currency='GBP' rate='0.83630'/>
			<Cube currency='KRW' rate='1478.94'/>
			<Cube currency='CNY' rate='7.6512'/>
			<Cube currency='AUD' rate='1.6234'/>
		</Cube>
	</Cube>
</gesmes:Envelope>"#;

    const DAILY_CSV: &str = "Date, USD, JPY, BGN, CZK, DKK, GBP, HUF, PLN, RON, SEK, CHF, ISK, NOK, TRY, AUD, BRL, CAD, CNY, HKD, IDR, ILS, INR, KRW, MXN, MYR, NZD, PHP, SGD, THB, ZAR, \n27 November 2026, 1.0565, 161.25, 1.9558, 25.172, 7.4589, 0.83630, 409.85, 4.3150, 4.9763, 11.5105, 0.9321, 146.30, 11.7270, 36.6011, 1.6234, 6.1204, 1.4781, 7.6512, 8.2229, 16802.70, 3.8763, 89.2115, 1478.94, 21.6281, 4.7012, 1.7960, 62.117, 1.4171, 36.496, 19.1123, \n";

    const HIST_CSV: &str =
        "Date,USD,JPY,CYP,KRW,\n2026-11-27,1.0565,161.25,N/A,1478.94,\n2026-11-26,1.0543,160.80,N/A,N/A,\n";

    #[test]
    fn reads_the_daily_xml() {
        let r = parse(DAILY_XML, "ECB").expect("parses");
        assert_eq!(r.rates.len(), 6);
        let usd = r.rates.iter().find(|r| r.currency == Currency::USD).expect("usd");
        assert_eq!((usd.per_eur.to_string().as_str(), usd.date), ("1.0565", date!(2026 - 11 - 27)));
        assert_eq!(r.summary(), "imported 6 rates for 6 currencies, dated 2026-11-27");
    }

    #[test]
    fn reads_the_daily_csv_with_its_trailing_comma_and_long_date() {
        let r = parse(DAILY_CSV, "ECB").expect("parses");
        assert_eq!(r.rates.len(), 30);
        assert!(r.rates.iter().all(|r| r.date == date!(2026 - 11 - 27)));
        let krw = r.rates.iter().find(|r| r.currency == Currency::KRW).expect("krw");
        assert_eq!(krw.per_eur.to_string(), "1478.94");
    }

    #[test]
    fn reads_the_historical_csv_skipping_na_and_retired_codes() {
        let r = parse(HIST_CSV, "ECB").expect("parses");
        assert_eq!(r.rates.len(), 5);
        assert_eq!(r.not_available, 1, "KRW on the 26th; CYP is not counted, it is skipped as a column");
        assert!(r.unknown_currencies.contains("CYP"));
        assert_eq!(r.date_range(), Some((date!(2026 - 11 - 26), date!(2026 - 11 - 27))));
        assert!(r.summary().contains("skipped retired currencies CYP"), "{}", r.summary());
    }

    #[test]
    fn bad_files_name_the_line_and_reason() {
        let bad_rate = HIST_CSV.replace("160.80", "abc");
        let err = parse(&bad_rate, "ECB").unwrap_err().to_string();
        assert!(err.starts_with("line 3:") && err.contains("\"abc\""), "{err}");

        let negative = DAILY_XML.replace("'161.25'", "'-1'");
        let err = parse(&negative, "ECB").unwrap_err().to_string();
        assert!(err.starts_with("line 10:") && err.contains("positive"), "{err}");

        let bad_date = HIST_CSV.replace("2026-11-26", "yesterday");
        assert!(parse(&bad_date, "ECB").unwrap_err().to_string().starts_with("line 3:"));

        assert!(matches!(parse("", "ECB"), Err(FxImportError::Invalid { .. }) | Err(FxImportError::Empty)));
        assert!(parse("Name,Price\nshirt,12\n", "ECB").unwrap_err().to_string().contains("\"Date\""));
        assert!(parse("<html><body>oops</body></html>", "ECB").is_err());
        assert!(parse("<gesmes:Envelope><Cube>", "ECB").is_err());
    }
}
