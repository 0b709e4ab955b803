//! Trade rules as an operator writes them: a TOML file (described in `docs/trade-rules.md`) read
//! into `podium_domain::landed::TradeRules`. Every problem is reported with its line and field,
//! all at once, and a file with any problem yields no rules.

use podium_domain::landed::{CountryRules, LowValueRule, ThresholdKind, TradeRules};
use podium_domain::{Country, Money};
use serde::Deserialize;
use time::Date;
use toml::Spanned;

/// The rules Podium ships, marked as illustrative defaults.
pub const DEFAULT_RULES: &str = include_str!("../trade-rules/default.toml");

/// One problem in a rules file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// 1-based line of the file.
    pub line: usize,
    /// Where in the structure, such as `country[2].low_value[1].threshold`.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.field, self.message)
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    country: Vec<Spanned<CountryToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountryToml {
    code: Spanned<String>,
    #[serde(default)]
    customs_union: Option<String>,
    vat_bp: Spanned<i64>,
    #[serde(default)]
    domestic_vat_bp: Option<Spanned<i64>>,
    prices_include_tax: bool,
    duty_default_bp: Spanned<i64>,
    #[serde(default)]
    duty: Vec<Spanned<DutyToml>>,
    #[serde(default)]
    consignment_limit: Option<Spanned<String>>,
    #[serde(default)]
    low_value: Vec<Spanned<LowValueToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DutyToml {
    hs: Spanned<String>,
    bp: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LowValueToml {
    from: Spanned<String>,
    threshold: Spanned<String>,
    kind: Spanned<String>,
    #[serde(default)]
    flat_duty_per_hs6: Option<Spanned<String>>,
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

struct Checker<'a> {
    text: &'a str,
    errors: Vec<RuleError>,
}

impl Checker<'_> {
    fn fail<T>(&mut self, at: &Spanned<T>, field: String, message: impl Into<String>) {
        self.errors.push(RuleError { line: line_of(self.text, at.span().start), field, message: message.into() });
    }

    fn bp(&mut self, v: &Spanned<i64>, field: String) -> u32 {
        match u32::try_from(*v.get_ref()) {
            Ok(bp) if bp <= 10_000 => bp,
            _ => {
                self.fail(v, field, "a rate in basis points from 0 to 10000 (1900 is 19 %)");
                0
            }
        }
    }

    fn money(&mut self, v: &Spanned<String>, field: String) -> Option<Money> {
        match Money::parse(v.get_ref()) {
            Ok(m) if m.minor >= 0 => Some(m),
            _ => {
                self.fail(v, field, format!("{:?} is not an amount such as \"150.00 EUR\"", v.get_ref()));
                None
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportRulesError {
    #[error("{} problem(s) in the rules file", .0.len())]
    Rules(Vec<RuleError>),
    #[error(transparent)]
    Store(#[from] crate::StoreError),
}

/// Checks a rules file and, when it has no problem, makes it the rules that apply from now.
/// Returns the rules. A file with any problem changes nothing.
pub async fn import(store: &dyn crate::Store, text: &str, imported_by: &str) -> Result<TradeRules, ImportRulesError> {
    let rules = parse(text).map_err(ImportRulesError::Rules)?;
    store.save_trade_rules(text, imported_by).await?;
    Ok(rules)
}

/// Where the rules in force come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesSource {
    /// Podium's shipped illustrative defaults.
    Defaults,
    Imported {
        by: String,
        at: time::OffsetDateTime,
    },
}

/// The rules that apply now: the newest import, else the shipped defaults.
pub async fn current(store: &dyn crate::Store) -> crate::StoreResult<(TradeRules, RulesSource)> {
    if let Some((text, by, at)) = store.latest_trade_rules().await? {
        // Stored files were checked on import; one that no longer reads falls back visibly.
        match parse(&text) {
            Ok(rules) => return Ok((rules, RulesSource::Imported { by, at })),
            Err(e) => tracing::error!(problems = e.len(), "stored trade rules no longer parse; using the defaults"),
        }
    }
    let rules = parse(DEFAULT_RULES).unwrap_or_else(|_| podium_domain::landed::default_rules());
    Ok((rules, RulesSource::Defaults))
}

/// Reads a rules file; on any problem, every problem found.
pub fn parse(text: &str) -> Result<TradeRules, Vec<RuleError>> {
    let file: File = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        // A syntax or type error names no field; the key written on that line is the one.
        let field = text
            .lines()
            .nth(line.saturating_sub(1))
            .and_then(|l| l.split_once('='))
            .map(|(key, _)| key.trim())
            .filter(|key| !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or_default()
            .to_string();
        vec![RuleError { line, field, message: e.message().trim().to_string() }]
    })?;
    let mut ck = Checker { text, errors: Vec::new() };
    let mut countries: Vec<CountryRules> = Vec::new();
    for (i, spanned) in file.country.iter().enumerate() {
        let c = spanned.get_ref();
        let at = |f: &str| format!("country[{}].{f}", i + 1);
        let country = match Country::parse(c.code.get_ref()) {
            Ok(code) => Some(code),
            Err(_) => {
                ck.fail(&c.code, at("code"), format!("{:?} is not an ISO 3166-1 alpha-2 code", c.code.get_ref()));
                None
            }
        };
        if let Some(code) = country {
            if countries.iter().any(|x| x.country == code) {
                ck.fail(&c.code, at("code"), format!("{code} is described twice"));
            }
        }
        let vat_bp = ck.bp(&c.vat_bp, at("vat_bp"));
        let domestic_vat_bp = match &c.domestic_vat_bp {
            Some(v) => ck.bp(v, at("domestic_vat_bp")),
            None => vat_bp,
        };
        let duty_default_bp = ck.bp(&c.duty_default_bp, at("duty_default_bp"));
        let mut duty = Vec::with_capacity(c.duty.len());
        for (j, d) in c.duty.iter().enumerate() {
            let d = d.get_ref();
            let field = |f: &str| format!("country[{}].duty[{}].{f}", i + 1, j + 1);
            let hs = d.hs.get_ref();
            if hs.is_empty() || hs.len() > 10 || !hs.bytes().all(|b| b.is_ascii_digit()) {
                ck.fail(&d.hs, field("hs"), format!("{hs:?} is not an HS code prefix (2 to 10 digits)"));
            }
            let bp = ck.bp(&d.bp, field("bp"));
            duty.push((hs.clone(), bp));
        }
        let consignment_limit = c.consignment_limit.as_ref().and_then(|v| ck.money(v, at("consignment_limit")));
        let mut low_value = Vec::with_capacity(c.low_value.len());
        for (j, lv) in c.low_value.iter().enumerate() {
            let lv = lv.get_ref();
            let field = |f: &str| format!("country[{}].low_value[{}].{f}", i + 1, j + 1);
            let from = Date::parse(lv.from.get_ref(), time::macros::format_description!("[year]-[month]-[day]"));
            if from.is_err() {
                ck.fail(
                    &lv.from,
                    field("from"),
                    format!("{:?} is not a date such as \"2026-07-01\"", lv.from.get_ref()),
                );
            }
            if let Ok(d) = from {
                if low_value.iter().any(|r: &LowValueRule| r.from == d) {
                    ck.fail(&lv.from, field("from"), "two versions start on the same day");
                }
            }
            let threshold = match lv.threshold.get_ref().as_str() {
                "none" => None,
                _ => ck.money(&lv.threshold, field("threshold")),
            };
            let kind = match lv.kind.get_ref().as_str() {
                "low_value" => ThresholdKind::LowValue,
                "de_minimis" => ThresholdKind::DeMinimis,
                other => {
                    ck.fail(&lv.kind, field("kind"), format!("{other:?} is neither \"low_value\" nor \"de_minimis\""));
                    ThresholdKind::LowValue
                }
            };
            let flat = lv.flat_duty_per_hs6.as_ref().and_then(|v| ck.money(v, field("flat_duty_per_hs6")));
            if flat.is_some() && kind == ThresholdKind::DeMinimis {
                if let Some(v) = &lv.flat_duty_per_hs6 {
                    ck.fail(v, field("flat_duty_per_hs6"), "a de minimis threshold charges nothing under it");
                }
            }
            low_value.push(LowValueRule { from: from.unwrap_or(Date::MIN), threshold, kind, flat_duty_per_hs6: flat });
        }
        if let Some(country) = country {
            countries.push(CountryRules {
                country,
                customs_union: c.customs_union.clone().filter(|u| !u.trim().is_empty()),
                vat_bp,
                domestic_vat_bp,
                prices_include_tax: c.prices_include_tax,
                duty_default_bp,
                duty,
                low_value,
                consignment_limit,
            });
        }
    }
    if ck.errors.is_empty() {
        Ok(TradeRules { countries })
    } else {
        Err(ck.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_of_the_wrong_type_is_named_by_its_line_and_key() {
        let text = "[[country]]\ncode = \"CA\"\nvat_bp = \"five\"\nprices_include_tax = false\nduty_default_bp = 800\n";
        let errors = parse(text).expect_err("refused");
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].field.as_str()), (3, "vat_bp"), "{}", errors[0]);
        assert!(errors[0].to_string().starts_with("line 3: vat_bp: invalid type"));
    }

    #[test]
    fn the_shipped_file_is_the_default_table() {
        let rules = parse(DEFAULT_RULES).expect("the default rules parse");
        assert_eq!(rules, podium_domain::landed::default_rules());
        assert!(DEFAULT_RULES.contains("ILLUSTRATIVE DEFAULTS: VERIFY WITH YOUR CUSTOMS ADVISOR"));
    }

    #[test]
    fn every_problem_is_reported_with_its_line_and_field() {
        let text = r#"
[[country]]
code = "XX"
vat_bp = 190000
prices_include_tax = true
duty_default_bp = 400
duty = [ { hs = "61A9", bp = 1200 } ]

  [[country.low_value]]
  from = "2026-13-01"
  threshold = "150 euros"
  kind = "cheap"
"#;
        let errors = parse(text).expect_err("bad file");
        let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 6, "{shown:#?}");
        assert_eq!(shown[0], r#"line 3: country[1].code: "XX" is not an ISO 3166-1 alpha-2 code"#);
        assert!(shown[1].starts_with("line 4: country[1].vat_bp: a rate in basis points"));
        assert!(shown[2].starts_with(r#"line 7: country[1].duty[1].hs: "61A9""#));
        assert!(shown[3].starts_with("line 10: country[1].low_value[1].from"));
        assert!(shown[4].starts_with("line 11: country[1].low_value[1].threshold"));
        assert!(shown[5].starts_with("line 12: country[1].low_value[1].kind"));
    }

    #[test]
    fn syntax_errors_and_unknown_fields_name_their_line() {
        let e = parse("[[country]]\ncode = \"DE\"\nvat_bp = \n").expect_err("syntax");
        assert_eq!(e[0].line, 3, "{e:?}");
        let e = parse("[[country]]\ncode = \"DE\"\nvat_bp = 1900\nprices_include_tax = true\nduty_default_bp = 0\nvat_rate = 19\n")
            .expect_err("unknown field");
        assert!(e[0].message.contains("vat_rate"), "{e:?}");
        let e = parse("[[country]]\ncode = \"DE\"\n").expect_err("missing");
        assert!(e[0].message.contains("vat_bp"), "{e:?}");
        let twice = format!(
            "{0}\n{0}",
            "[[country]]\ncode = \"KE\"\nvat_bp = 1600\nprices_include_tax = true\nduty_default_bp = 2500"
        );
        let e = parse(&twice).expect_err("duplicate");
        assert_eq!((e[0].line, e[0].message.as_str()), (7, "KE is described twice"));
        assert_eq!(parse("").expect("empty"), TradeRules::default());
    }
}
