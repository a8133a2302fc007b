//! Timestamps are stored as unix milliseconds (portable across both databases) and shown
//! in the user's time zone: Indonesia has three (WIB +7, WITA +8, WIT +9).

/// Formats unix milliseconds as `YYYY-MM-DD HH:MM` at the given UTC offset in hours.
pub fn format_ms(ms: i64, offset_hours: i64) -> String {
    let secs = ms.div_euclid(1000) + offset_hours * 3600;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) → days since 1970-01-01.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DD` into unix ms at 00:00 of that day at `offset_hours`.
pub fn parse_date_ms(s: &str, offset_hours: i64) -> Option<i64> {
    let mut it = s.trim().split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if it.next().is_some()
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
        || !(1900..=2200).contains(&y)
    {
        return None;
    }
    let days = days_from_civil(y, m, d);
    if civil_from_days(days) != (y, m, d) {
        return None;
    }
    Some((days * 86_400 - offset_hours * 3600) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(format_ms(0, 0), "1970-01-01 00:00");
        assert_eq!(format_ms(1_795_000_000_000, 7), "2026-11-18 18:06");
        let ms = parse_date_ms("2026-02-28", 7).unwrap();
        assert_eq!(format_ms(ms, 7), "2026-02-28 00:00");
        assert_eq!(parse_date_ms("2026-02-29", 7), None);
        assert_eq!(
            parse_date_ms("2024-02-29", 0).map(|m| format_ms(m, 0)),
            Some("2024-02-29 00:00".into())
        );
        assert_eq!(parse_date_ms("2026-13-01", 7), None);
    }
}
