//! Timestamps are stored as unix milliseconds (portable across both databases) and shown
//! in the user's time zone: Indonesia has three (WIB +7, WITA +8, WIT +9).
//!
//! "Today" is always a day in a region's zone, read from one [`Clock`]: the server and the
//! tests ask the same clock, and tests can set it to any instant (say 23:30 UTC, when WIB
//! is already on the next day) to check behaviour around midnight.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Indonesia's three time zones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    /// Western Indonesia Time, UTC+7: Sumatra, Java, West and Central Kalimantan.
    Wib,
    /// Central Indonesia Time, UTC+8: Bali, Nusa Tenggara, South/East/North Kalimantan,
    /// Sulawesi.
    Wita,
    /// Eastern Indonesia Time, UTC+9: Maluku and Papua.
    Wit,
}

impl Zone {
    pub fn offset_hours(self) -> i64 {
        match self {
            Zone::Wib => 7,
            Zone::Wita => 8,
            Zone::Wit => 9,
        }
    }

    /// The zone's Indonesian abbreviation, shown next to times.
    pub fn label(self) -> &'static str {
        match self {
            Zone::Wib => "WIB",
            Zone::Wita => "WITA",
            Zone::Wit => "WIT",
        }
    }

    /// The zone of a region, from its Kemendagri code (the province is the first two
    /// digits). National level and unknown codes use WIB, the capital's zone.
    pub fn of_region(code: &str) -> Zone {
        match code.get(..2) {
            Some(
                "51" | "52" | "53" | "63" | "64" | "65" | "71" | "72" | "73" | "74" | "75" | "76",
            ) => Zone::Wita,
            Some(p) if p.starts_with('8') || p.starts_with('9') => Zone::Wit,
            _ => Zone::Wib,
        }
    }

    /// The zone of an optional region (`None` is national: WIB).
    pub fn of_scope(code: Option<&str>) -> Zone {
        code.map(Zone::of_region).unwrap_or(Zone::Wib)
    }
}

/// The day number (days since 1970-01-01) of instant `ms` in `zone`.
pub fn day_at(ms: i64, zone: Zone) -> i64 {
    (ms + zone.offset_hours() * 3_600_000).div_euclid(86_400_000)
}

/// The clock of one running instance: the system time, shifted by an offset that tests
/// set (clones share it, so the server and the test read the same time).
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        system_ms() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Moves this clock (and every clone of it) so that now is `ms`; time goes on from there.
    pub fn set_now_ms(&self, ms: i64) {
        self.offset_ms.store(ms - system_ms(), Ordering::Relaxed);
    }

    /// Moves this clock forward (or back) by `ms`.
    pub fn advance_ms(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Today's day number in `zone`.
    pub fn today(&self, zone: Zone) -> i64 {
        day_at(self.now_ms(), zone)
    }
}

fn system_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

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

/// Parses `YYYY-MM-DD` (strictly, see [`crate::value::day::parse`]) into unix ms at 00:00
/// of that day at `offset_hours`.
pub fn parse_date_ms(s: &str, offset_hours: i64) -> Option<i64> {
    let days = crate::value::day::parse(s)?;
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
        assert_eq!(parse_date_ms("2026-1-5", 7), None);
    }

    #[test]
    fn zones_and_today() {
        assert_eq!(Zone::of_region("62.71"), Zone::Wib); // Palangka Raya
        assert_eq!(Zone::of_region("53.01"), Zone::Wita); // Kupang
        assert_eq!(Zone::of_region("94"), Zone::Wit); // Papua Tengah
        assert_eq!(Zone::of_region("31.71"), Zone::Wib);
        assert_eq!(Zone::of_scope(None), Zone::Wib);
        // 2026-12-07 23:30 UTC is already 2026-12-08 in WIB, WITA and WIT.
        let ms = parse_date_ms("2026-12-07", 0).unwrap() + (23 * 60 + 30) * 60_000;
        let utc_day = ms / 86_400_000;
        for z in [Zone::Wib, Zone::Wita, Zone::Wit] {
            assert_eq!(day_at(ms, z), utc_day + 1);
        }
        // 16:30 UTC: the next day in WIT (01:30), still the same day in WIB (23:30).
        let ms = ms - 7 * 3_600_000;
        assert_eq!(day_at(ms, Zone::Wib), utc_day);
        assert_eq!(day_at(ms, Zone::Wit), utc_day + 1);
        let clock = Clock::system();
        let shared = clock.clone();
        clock.set_now_ms(ms);
        assert!((shared.now_ms() - ms).abs() < 1_000);
        assert_eq!(shared.today(Zone::Wib), utc_day);
        shared.advance_ms(86_400_000);
        assert_eq!(clock.today(Zone::Wib), utc_day + 1);
    }
}
