//! The audit browser's time filter (`T`): `SINCE`, `SINCE..UNTIL` or `..UNTIL`, where each
//! bound has the syntax of `lasso audit view --since/--until` (RFC 3339, or `YYYY-MM-DD` for
//! midnight UTC) or is relative to now: `15m`, `2h`, `1d`, `1w` ago. `since` is inclusive,
//! `until` exclusive, as in the audit query. Relative bounds are resolved when the filter is
//! applied, so the filter then names fixed times (the pages stay consistent while browsing).

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// A parsed time filter: (since, until).
pub type TimeRange = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

const SYNTAX: &str = "use SINCE, SINCE..UNTIL or ..UNTIL with RFC 3339 times, YYYY-MM-DD dates \
                      or 15m/2h/1d/1w ago";

/// One bound.
pub fn parse_bound(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Some(t) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Ok(t.and_utc());
    }
    let relative = s
        .char_indices()
        .last()
        .and_then(|(i, unit)| Some((s[..i].parse::<i64>().ok()?, unit)))
        .filter(|(n, _)| *n >= 0)
        .and_then(|(n, unit)| match unit {
            'm' => Duration::try_minutes(n),
            'h' => Duration::try_hours(n),
            'd' => Duration::try_days(n),
            'w' => Duration::try_weeks(n),
            _ => None,
        })
        .and_then(|d| now.checked_sub_signed(d));
    relative.ok_or_else(|| format!("{s:?} is not a time; {SYNTAX}"))
}

/// The whole filter text; empty means no time filter.
pub fn parse_range(text: &str, now: DateTime<Utc>) -> Result<TimeRange, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok((None, None));
    }
    let (since, until) = match text.split_once("..") {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (text, ""),
    };
    let since = (!since.is_empty())
        .then(|| parse_bound(since, now))
        .transpose()?;
    let until = (!until.is_empty())
        .then(|| parse_bound(until, now))
        .transpose()?;
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        return Err(format!(
            "the range {text:?} is empty: SINCE must be before UNTIL"
        ));
    }
    if since.is_none() && until.is_none() {
        return Err(format!("{text:?} names no time; {SYNTAX}"));
    }
    Ok((since, until))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, h, m, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn bounds_take_the_cli_syntax_and_relative_times() {
        let now = at(12, 0);
        assert_eq!(parse_bound("15m", now), Ok(at(11, 45)));
        assert_eq!(parse_bound("2h", now), Ok(at(10, 0)));
        assert_eq!(parse_bound("1d", now), Ok(at(12, 0) - Duration::days(1)));
        assert_eq!(parse_bound("1w", now), Ok(at(12, 0) - Duration::weeks(1)));
        assert_eq!(parse_bound("2026-12-07T11:30:00Z", now), Ok(at(11, 30)));
        assert_eq!(
            parse_bound("2026-12-07T12:30:00+01:00", now),
            Ok(at(11, 30))
        );
        assert_eq!(parse_bound("2026-12-07", now), Ok(at(0, 0)));
        for bad in ["", "15", "m", "-5m", "3y", "yesterday", "2026-13-01"] {
            let e = parse_bound(bad, now).err().unwrap_or_default();
            assert!(
                e.contains("is not a time") && e.contains("15m/2h/1d/1w"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn ranges_are_since_until_or_either() {
        let now = at(12, 0);
        assert_eq!(parse_range("", now), Ok((None, None)));
        assert_eq!(parse_range("2h", now), Ok((Some(at(10, 0)), None)));
        assert_eq!(
            parse_range("2h..15m", now),
            Ok((Some(at(10, 0)), Some(at(11, 45))))
        );
        assert_eq!(parse_range("..2026-12-07", now), Ok((None, Some(at(0, 0)))));
        assert_eq!(
            parse_range(" 2026-12-07 .. 1h ", now),
            Ok((Some(at(0, 0)), Some(at(11, 0))))
        );
        let e = parse_range("15m..2h", now).err().unwrap_or_default();
        assert!(e.contains("is empty"), "{e}");
        assert!(parse_range("..", now).is_err());
        assert!(parse_range("2h..soon", now).is_err());
    }
}
