//! Authenticity codes (DESIGN §3.4): 60 random bits written as 12 Crockford base32 symbols plus a
//! check symbol from the same alphabet (Luhn mod 32), so a code is also a valid GS1 serial.

use std::fmt;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Symbols carrying the random bits.
pub const DATA_LEN: usize = 12;
/// Symbols in a code, check included.
pub const CODE_LEN: usize = DATA_LEN + 1;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code([u8; CODE_LEN]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("a code has {CODE_LEN} letters and digits; this one has {0}")]
    Length(usize),
    #[error("{0:?} is not used in codes (codes use digits and letters other than I, L, O and U)")]
    Symbol(char),
    #[error("this code has a typing mistake: its last symbol does not match the others")]
    Check,
}

fn value(c: char) -> Option<u32> {
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        c => c,
    };
    ALPHABET.iter().position(|b| *b as char == c).map(|p| p as u32)
}

/// Luhn mod 32 over the data symbols' values: catches every single wrong symbol and most swaps of
/// neighbours.
fn check_value(data: &[u32]) -> u32 {
    let mut sum = 0;
    for (i, v) in data.iter().rev().enumerate() {
        let mut x = *v;
        if i % 2 == 0 {
            x *= 2;
            x = x / 32 + x % 32;
        }
        sum += x;
    }
    (32 - sum % 32) % 32
}

impl Code {
    /// The code for 60 random bits (the low 60 of `random`).
    pub fn from_random(random: u64) -> Code {
        let mut values = [0u32; DATA_LEN];
        for (i, v) in values.iter_mut().enumerate() {
            *v = ((random >> (5 * (DATA_LEN - 1 - i))) & 31) as u32;
        }
        let mut out = [0u8; CODE_LEN];
        for (o, v) in out.iter_mut().zip(values.iter()) {
            *o = ALPHABET[*v as usize];
        }
        out[DATA_LEN] = ALPHABET[check_value(&values) as usize];
        Code(out)
    }

    /// Reads a code as a person may type it: any case, with hyphens or spaces, O for 0 and I or L
    /// for 1.
    pub fn parse(s: &str) -> Result<Code, CodeError> {
        let symbols: Vec<char> = s.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
        if symbols.len() != CODE_LEN {
            return Err(CodeError::Length(symbols.len()));
        }
        let mut values = [0u32; CODE_LEN];
        for (v, c) in values.iter_mut().zip(&symbols) {
            *v = value(*c).ok_or(CodeError::Symbol(*c))?;
        }
        if check_value(&values[..DATA_LEN]) != values[DATA_LEN] {
            return Err(CodeError::Check);
        }
        let mut out = [0u8; CODE_LEN];
        for (o, v) in out.iter_mut().zip(values.iter()) {
            *o = ALPHABET[*v as usize];
        }
        Ok(Code(out))
    }

    /// The canonical form: 13 symbols, no separators (used in URLs and storage).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// Easier to read aloud or type: `ABCD-EFGH-JKMN-P`.
    pub fn grouped(&self) -> String {
        let s = self.as_str();
        format!("{}-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12], &s[12..])
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code({})", self.as_str())
    }
}

/// Whether a code's verifications look like a copied label: seen from more than one country, or
/// by more than `max_clients` different clients. Distinct clients, not look-ups, are counted, so
/// that one client looking a code up again and again cannot brand it a fake for everyone.
pub fn is_suspicious(countries_seen: usize, clients_seen: u64, max_clients: u64) -> bool {
    countries_seen > 1 || clients_seen > max_clients
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_read_back_forgivingly() {
        let code = Code::from_random(0x0123_4567_89AB_CDEF);
        let s = code.as_str().to_string();
        assert_eq!(s.len(), CODE_LEN);
        assert_eq!(Code::parse(&s), Ok(code));
        assert_eq!(Code::parse(&code.grouped()), Ok(code));
        assert_eq!(Code::parse(&s.to_lowercase()), Ok(code));
        assert_eq!(Code::parse("ABC"), Err(CodeError::Length(3)));
        assert_eq!(Code::parse("ABCDEFGHJKMNU"), Err(CodeError::Symbol('U')));
        assert_eq!(Code::parse("<script>alert"), Err(CodeError::Symbol('<')));
        // O, I and L are read as 0, 1 and 1.
        let zeros = Code::from_random(0);
        assert_eq!(Code::parse(&zeros.as_str().replace('0', "O")), Ok(zeros));
    }

    proptest! {
        #[test]
        fn a_single_wrong_symbol_is_always_caught(random in any::<u64>(), at in 0usize..CODE_LEN, to in 0usize..32) {
            let code = Code::from_random(random);
            let mut bytes = code.as_str().as_bytes().to_vec();
            prop_assume!(bytes[at] != ALPHABET[to]);
            bytes[at] = ALPHABET[to];
            let typo = String::from_utf8(bytes).expect("ascii");
            prop_assert!(Code::parse(&typo).is_err());
        }

        #[test]
        fn codes_keep_sixty_bits(a in any::<u64>(), b in any::<u64>()) {
            let mask = (1u64 << 60) - 1;
            prop_assert_eq!(Code::from_random(a) == Code::from_random(b), a & mask == b & mask);
        }
    }

    #[test]
    fn suspicion_needs_two_countries_or_too_many_clients() {
        assert!(!is_suspicious(1, 5, 5));
        assert!(is_suspicious(2, 2, 5));
        assert!(is_suspicious(1, 6, 5));
        assert!(!is_suspicious(0, 0, 5));
    }
}
