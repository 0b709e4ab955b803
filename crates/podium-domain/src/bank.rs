//! Bank details a payee gives for payouts, checked before anything is sent to a bank: an IBAN's
//! country, length and ISO 7064 mod-97 check digits, a BIC's shape (ISO 9362), and for
//! countries without IBANs an account number and bank code as the local scheme writes them.

/// IBAN lengths per country (the SWIFT IBAN registry), for the countries Podium's payees are in
/// and their neighbours.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AT", 20),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("XK", 20),
];

/// Countries of the SEPA scheme (EUR credit transfers by IBAN alone).
pub const SEPA: &[&str] = &[
    "AD", "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GI", "GR", "HR", "HU", "IE",
    "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK", "SM", "VA",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    #[error("an IBAN starts with a country code and two check digits")]
    IbanShape,
    #[error("IBANs of {country} have {expected} characters, not {got}")]
    IbanLength { country: String, expected: usize, got: usize },
    #[error("{0} does not use IBANs; give the account number and bank code instead")]
    IbanCountry(String),
    #[error("the IBAN's check digits do not match: a character is mistyped")]
    IbanChecksum,
    #[error("a BIC has 8 or 11 characters: 4 letters or digits for the bank, 2 letters for the country, 2 for the place, 3 optional for the branch")]
    BicShape,
    #[error("an account number has 4 to 34 letters and digits")]
    AccountShape,
}

/// An IBAN as printed (spaces allowed, any case) in its electronic form, once checked.
pub fn iban(input: &str) -> Result<String, BankError> {
    let s: String = input.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    let b = s.as_bytes();
    if b.len() < 5 || !b[..2].iter().all(u8::is_ascii_uppercase) || !b[2..4].iter().all(u8::is_ascii_digit) {
        return Err(BankError::IbanShape);
    }
    if !b.iter().all(u8::is_ascii_alphanumeric) {
        return Err(BankError::IbanShape);
    }
    let country = &s[..2];
    let expected = IBAN_LENGTHS
        .iter()
        .find(|(c, _)| *c == country)
        .map(|(_, n)| *n)
        .ok_or_else(|| BankError::IbanCountry(country.to_string()))?;
    if b.len() != expected {
        return Err(BankError::IbanLength { country: country.to_string(), expected, got: b.len() });
    }
    // ISO 7064 mod 97-10: the first four characters moved to the end, letters as 10..35.
    let mut rest = 0u32;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = if c.is_ascii_digit() { u32::from(c - b'0') } else { u32::from(c - b'A') + 10 };
        rest = if v >= 10 { (rest * 100 + v) % 97 } else { (rest * 10 + v) % 97 };
    }
    if rest != 1 {
        return Err(BankError::IbanChecksum);
    }
    Ok(s)
}

/// A BIC (ISO 9362) in upper case, once its shape is checked.
pub fn bic(input: &str) -> Result<String, BankError> {
    let s = input.trim().to_ascii_uppercase();
    let b = s.as_bytes();
    let ok = (b.len() == 8 || b.len() == 11)
        && b[..4].iter().all(u8::is_ascii_alphanumeric)
        && b[4..6].iter().all(u8::is_ascii_uppercase)
        && b[6..].iter().all(u8::is_ascii_alphanumeric);
    if ok {
        Ok(s)
    } else {
        Err(BankError::BicShape)
    }
}

/// A domestic account number where IBANs are not used (Japan, Korea, Kenya, the US…).
pub fn account_number(input: &str) -> Result<String, BankError> {
    let s: String = input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if (4..=34).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(s)
    } else {
        Err(BankError::AccountShape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_example_ibans_pass() {
        // The examples of the SWIFT IBAN registry.
        for good in [
            "DE89 3704 0044 0532 0130 00",
            "GB29 NWBK 6016 1331 9268 19",
            "FR14 2004 1010 0505 0001 3M02 606",
            "nl91abna0417164300",
        ] {
            assert!(iban(good).is_ok(), "{good}");
        }
        assert_eq!(iban("gb29 nwbk 6016 1331 9268 19").as_deref(), Ok("GB29NWBK60161331926819"));
    }

    #[test]
    fn mistyped_ibans_are_refused() {
        assert_eq!(iban("DE89 3704 0044 0532 0130 01"), Err(BankError::IbanChecksum), "one digit off");
        assert_eq!(iban("DE98 3704 0044 0532 0130 00"), Err(BankError::IbanChecksum), "two digits swapped");
        assert!(matches!(iban("DE89 3704 0044 0532 0130"), Err(BankError::IbanLength { expected: 22, .. })));
        assert_eq!(iban("JP12 3456 7890"), Err(BankError::IbanCountry("JP".into())));
        assert_eq!(iban("12DE"), Err(BankError::IbanShape));
        assert_eq!(iban("DE89-3704"), Err(BankError::IbanShape));
    }

    #[test]
    fn bics_have_their_shape() {
        assert_eq!(bic("deutdeff").as_deref(), Ok("DEUTDEFF"));
        assert_eq!(bic("NWBKGB2L").as_deref(), Ok("NWBKGB2L"));
        assert_eq!(bic("DEUTDEFF500").as_deref(), Ok("DEUTDEFF500"));
        for bad in ["DEUTDE", "DEUT1EFF", "DEUTDEFF5", "DEUT DEFF"] {
            assert_eq!(bic(bad), Err(BankError::BicShape), "{bad}");
        }
    }

    #[test]
    fn domestic_account_numbers() {
        assert_eq!(account_number("0123-4567-89").as_deref(), Ok("0123456789"));
        assert_eq!(account_number("12"), Err(BankError::AccountShape));
    }
}
