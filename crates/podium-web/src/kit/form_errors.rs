//! A product form's problems in the merchant's words and language. The rules that find them
//! (`podium_app::catalogue_csv`) name CSV columns, as the import needs; the form says instead
//! what the field must hold, from the locales.

use crate::kit::i18n::Tr;

/// The key of a column's message: `Title (fr)` → `title`, `Option2 Value` → `option-value`.
fn key_of(column: &str) -> String {
    let base = column.split(" (").next().unwrap_or(column);
    let base = match base {
        "Option1 Value" | "Option2 Value" | "Option3 Value" => "Option Value",
        other => other,
    };
    base.to_lowercase().replace(' ', "-")
}

/// What to tell the merchant about a field the rules refused (the rules' own words, which name
/// the column, only for a column this does not know). `currency` is the shop's, `max` the
/// highest price the marketplace takes in it.
pub fn message(tr: &Tr, column: &str, rules_said: &str, currency: &str, max: &str) -> String {
    let key = format!("form-error-{}", key_of(column));
    if tr.i18n.has(tr.lang, &key) {
        tr.tn(&key, &[("currency", currency), ("max", max)])
    } else {
        rules_said.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::key_of;

    #[test]
    fn columns_name_their_messages() {
        assert_eq!(key_of("Title (zh-Hans)"), "title");
        assert_eq!(key_of("HS Code"), "hs-code");
        assert_eq!(key_of("Option3 Value"), "option-value");
        assert_eq!(key_of("Variant Inventory Qty"), "variant-inventory-qty");
    }
}
