//! The bodies of Podium's fuzz targets (`fuzz/`), kept here so that the corpus the fuzzer found
//! is replayed by an ordinary test (`tests/fuzz_corpus.rs`) on every CI run.
//!
//! Each function takes arbitrary bytes, feeds them to a parser that reads what users upload or
//! type, and asserts what must hold whatever the input: no panic, and the parser's own promises
//! (a code that reads reads back the same; an error names a line of the file).

use std::collections::HashMap;

use podium_domain::authenticity::Code;
use podium_domain::catalogue::CategoryTree;
use podium_domain::Currency;
use time::OffsetDateTime;

use crate::catalogue::StockLocation;
use crate::catalogue_csv::{self, ImportContext};
use crate::ports::Org;
use podium_domain::role::OrgKind;

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The ECB rates file, in either of its formats (XML envelope or CSV).
pub fn ecb_rates(data: &[u8]) {
    let Some(content) = text(data) else { return };
    if let Ok(report) = crate::fx_import::parse(content, "fuzz") {
        assert!(!report.rates.is_empty(), "a file that imports has rates");
        for rate in &report.rates {
            assert!(rate.per_eur > rust_decimal::Decimal::ZERO, "every imported rate is positive");
        }
    }
}

/// The operator's trade-rules file (TOML).
pub fn trade_rules(data: &[u8]) {
    let Some(content) = text(data) else { return };
    if let Err(errors) = crate::trade_rules::parse(content) {
        assert!(!errors.is_empty(), "a refused file says why");
        let lines = content.lines().count().max(1);
        for e in errors {
            assert!(e.line >= 1 && e.line <= lines + 1, "error line {} outside a {lines}-line file", e.line);
        }
    }
}

/// A shop's product CSV, checked against a small shop with one location and two properties.
pub fn catalogue_csv(data: &[u8]) {
    let epoch = OffsetDateTime::UNIX_EPOCH;
    let shop = Org {
        id: "shop-1".into(),
        kind: OrgKind::Shop,
        slug: "fuzz-shop".into(),
        name: "Fuzz Shop".into(),
        country: "KR".into(),
        currency: "KRW".into(),
        story: String::new(),
        created_at: epoch,
    };
    let categories = CategoryTree::new([
        ("apparel".to_string(), None),
        ("t-shirts".to_string(), Some("apparel".to_string())),
        ("pins".to_string(), None),
    ]);
    let locations =
        [StockLocation { id: "loc-1".into(), shop_id: shop.id.clone(), name: "Seoul".into(), country: "KR".into() }];
    let properties: HashMap<String, String> =
        [("team-kenya".to_string(), "prop-1".to_string()), ("hanok".to_string(), "prop-2".to_string())].into();
    let ctx = ImportContext {
        shop: &shop,
        currency: Currency::parse("KRW").expect("KRW is a currency"),
        properties,
        categories: &categories,
        locations: &locations,
        existing: &[],
        now: epoch,
        bounds: podium_domain::money::Bounds::default(),
    };
    match catalogue_csv::parse(data, &ctx, &|done, total| assert!(done <= total.max(done))) {
        Ok(parsed) => {
            for p in &parsed.products {
                assert!(!p.variants.is_empty(), "every imported product has a variant");
            }
        }
        Err(errors) => assert!(!errors.is_empty(), "a refused file says why"),
    }
}

/// An authenticity code as a person types it.
pub fn authenticity_code(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if let Ok(code) = Code::parse(s) {
        assert_eq!(Code::parse(code.as_str()).ok(), Some(code), "the canonical form reads back");
        assert_eq!(Code::parse(&code.grouped()).ok(), Some(code), "the grouped form reads back");
        assert_eq!(code.as_str().len(), 13);
    }
}
