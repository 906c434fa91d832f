//! Text for numbers and times, the same on server and browser so hydration matches.

/// `1234` ms → "1.2 s", `75_000` → "1 min 15 s".
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        let s = ms / 1000;
        if s < 3600 {
            format!("{} min {} s", s / 60, s % 60)
        } else {
            format!("{} h {} min", s / 3600, (s % 3600) / 60)
        }
    }
}

/// "running for 3.2 s" while a run is active, "took 1 min 5 s" once it ended.
pub fn elapsed(run: &crate::api::RunView) -> Option<String> {
    let ms = run.elapsed_ms?;
    Some(if run.is_active { format!("running for {}", duration(ms)) } else { format!("took {}", duration(ms)) })
}

/// A performance figure: three decimals, as ROAS is usually read.
pub fn perf(value: f64) -> String {
    if value.is_finite() { format!("{value:.3}") } else { "–".to_string() }
}

/// A money amount with thousands grouped: `12345.5` → "12,345.50".
pub fn amount(value: f64) -> String {
    if !value.is_finite() {
        return "–".to_string();
    }
    let cents = (value.abs() * 100.0).round() as u64;
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{:02}", if value < 0.0 { "-" } else { "" }, cents % 100)
}

/// Seconds in a video: `3.0` → "0:03".
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// A UTC timestamp, "2026-11-26 04:05 UTC": unambiguous for a team across time zones.
pub fn timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, (rem % 3600) / 60)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_group_thousands_and_keep_cents() {
        assert_eq!(amount(12345.5), "12,345.50");
        assert_eq!(amount(999.999), "1,000.00");
        assert_eq!(amount(0.0), "0.00");
        assert_eq!(amount(-1234.0), "-1,234.00");
        assert_eq!(clock(75.4), "1:15");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(250), "250 ms");
        assert_eq!(duration(1234), "1.2 s");
        assert_eq!(duration(75_000), "1 min 15 s");
        assert_eq!(duration(3_725_000), "1 h 2 min");
    }

    #[test]
    fn timestamps_are_utc_dates() {
        assert_eq!(timestamp(0), "1970-01-01 00:00 UTC");
        assert_eq!(timestamp(1_795_665_900_000), "2026-11-26 04:05 UTC");
        assert_eq!(timestamp(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}
