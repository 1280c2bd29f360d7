//! RFC 3339 UTC timestamps with microseconds (`2026-11-27T14:00:00.123456Z`) for spool records,
//! computed from the Unix time without a date crate (the guard's dependencies are kept to the
//! minimum a static in-container binary needs).

/// Formats `secs` (Unix seconds, UTC) and `micros` (0..1_000_000) as RFC 3339.
pub fn rfc3339(secs: i64, micros: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// The current time as RFC 3339.
pub fn now() -> String {
    let (s, us) = crate::sys::now_realtime();
    rfc3339(s, us)
}

/// Proleptic Gregorian (year, month, day) for a count of days since 1970-01-01
/// (Howard Hinnant's `civil_from_days`, exact for every i64 day count in range).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000000Z");
        // 2000-02-29 (leap day in a century leap year).
        assert_eq!(rfc3339(951_782_400, 7), "2000-02-29T00:00:00.000007Z");
        // date -u -d @1795788000.123456 → 2026-11-27T14:00:00
        assert_eq!(
            rfc3339(1_795_788_000, 123_456),
            "2026-11-27T14:00:00.123456Z"
        );
        assert_eq!(rfc3339(-1, 999_999), "1969-12-31T23:59:59.999999Z");
        // 2100 is not a leap year: 2100-02-28 is followed by 2100-03-01.
        assert_eq!(rfc3339(4_107_456_000, 0), "2100-02-28T00:00:00.000000Z");
        assert_eq!(rfc3339(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z");
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        // Days counted back from the formatted date must equal the input: checks month
        // lengths and leap rules over a full 400-year Gregorian cycle.
        fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
            let y = if m <= 2 { y - 1 } else { y };
            let era = y.div_euclid(400);
            let yoe = y.rem_euclid(400);
            let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
            let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
            era * 146_097 + doe - 719_468
        }
        let mut prev = civil_from_days(-1);
        for z in 0..146_097 {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
            assert!((y, m, d) > prev);
            prev = (y, m, d);
        }
    }
}
