//! Size strings (`512m`, `1g`, `64MiB`) and the `ByteSize` value they become.
//!
//! Units are binary multiples, case-insensitive, with an optional `b` or `ib` (so `1g`, `1G`,
//! `1gb` and `1GiB` are all 2^30 bytes): container engines and `ulimit` use binary units, and
//! accepting both spellings with one meaning removes a class of off-by-7% surprises. Only whole
//! numbers are accepted; a `ByteSize` prints in the largest unit that divides it exactly, so
//! the canonical form (used for hashing and export) of `1024m` is `1g`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a size string must look like; the tail of every size error.
pub const SIZE_SYNTAX: &str = "expected a size such as \"512m\" or \"1g\": a whole number followed by k, m, g or t \
     (binary multiples, case-insensitive, optional b or ib)";

/// Why a size string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    #[error("the size is empty; {SIZE_SYNTAX}")]
    Empty,
    #[error("{value:?} does not start with a number; {SIZE_SYNTAX}")]
    NoNumber { value: String },
    #[error("{value:?} has an unknown unit {unit:?}; {SIZE_SYNTAX}")]
    BadUnit { value: String, unit: String },
    #[error("{value:?} is larger than lasso can represent (at most 16383 petabytes)")]
    Overflow { value: String },
}

/// Parses a size string into bytes: `parse_size("512m") == Ok(536_870_912)`.
pub fn parse_size(value: &str) -> Result<u64, SizeError> {
    let s = value.trim();
    if s.is_empty() {
        return Err(SizeError::Empty);
    }
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if digits_end == 0 {
        return Err(SizeError::NoNumber {
            value: value.to_string(),
        });
    }
    let number: u64 = s[..digits_end].parse().map_err(|_| SizeError::Overflow {
        value: value.to_string(),
    })?;
    let unit = s[digits_end..].to_ascii_lowercase();
    let shift = match unit.as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(SizeError::BadUnit {
                value: value.to_string(),
                unit: s[digits_end..].to_string(),
            });
        }
    };
    number
        .checked_mul(1u64 << shift)
        .ok_or_else(|| SizeError::Overflow {
            value: value.to_string(),
        })
}

/// A number of bytes, written and read as a size string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub const fn bytes(self) -> u64 {
        self.0
    }

    pub const fn mib(n: u64) -> ByteSize {
        ByteSize(n << 20)
    }

    pub const fn gib(n: u64) -> ByteSize {
        ByteSize(n << 30)
    }
}

impl std::str::FromStr for ByteSize {
    type Err = SizeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_size(s).map(ByteSize)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (shift, unit) in [(40, "t"), (30, "g"), (20, "m"), (10, "k")] {
            let m = 1u64 << shift;
            if n != 0 && n.is_multiple_of(m) {
                return write!(f, "{}{unit}", n / m);
            }
        }
        write!(f, "{n}")
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size string such as \"512m\" or \"1g\" (in quotes)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ByteSize, E> {
                parse_size(v).map(ByteSize).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn units_are_binary_and_case_insensitive() {
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1gb"), Ok(1 << 30));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("2t"), Ok(2 << 40));
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("100b"), Ok(100));
        assert_eq!(parse_size(" 8m "), Ok(8 << 20));
    }

    #[test]
    fn bad_sizes_say_why() {
        assert_eq!(parse_size(""), Err(SizeError::Empty));
        assert!(matches!(parse_size("m"), Err(SizeError::NoNumber { .. })));
        assert!(matches!(parse_size("-1m"), Err(SizeError::NoNumber { .. })));
        assert!(matches!(parse_size("1.5g"), Err(SizeError::BadUnit { .. })));
        assert!(matches!(parse_size("12x"), Err(SizeError::BadUnit { .. })));
        assert!(matches!(parse_size("1 g"), Err(SizeError::BadUnit { .. })));
        assert!(matches!(
            parse_size("99999999999t"),
            Err(SizeError::Overflow { .. })
        ));
        assert!(matches!(
            parse_size("999999999999999999999999"),
            Err(SizeError::Overflow { .. })
        ));
        let msg = parse_size("12x").map_err(|e| e.to_string()).err();
        assert!(msg.is_some_and(|m| m.contains("\"x\"") && m.contains("512m")));
    }

    #[test]
    fn display_uses_largest_exact_unit() {
        assert_eq!(ByteSize(1 << 30).to_string(), "1g");
        assert_eq!(ByteSize(1024 << 20).to_string(), "1g");
        assert_eq!(ByteSize(1536 << 20).to_string(), "1536m");
        assert_eq!(ByteSize(1000).to_string(), "1000");
        assert_eq!(ByteSize(0).to_string(), "0");
    }

    proptest! {
        #[test]
        fn display_round_trips(n in any::<u64>()) {
            let s = ByteSize(n).to_string();
            prop_assert_eq!(parse_size(&s), Ok(n));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = parse_size(&s);
        }
    }
}
