//! A coach's history: one row per analysis with the numbers worth comparing, newest first.

use serde::{Deserialize, Serialize};

use super::analysis::AnalysisStatus;
use airtime_kinematics::JumpType;

pub const HISTORY_PAGE_SIZE: u32 = 20;

/// Which analyses a history shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryFilter {
    pub jump_type: Option<JumpType>,
    pub athlete_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub id: String,
    pub athlete_id: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub jump_type: JumpType,
    pub status: AnalysisStatus,
    pub jump_height_cm: Option<f64>,
    pub flight_time_ms: Option<f64>,
    pub contact_time_ms: Option<f64>,
    pub rsi: Option<f64>,
    pub confidence: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub rows: Vec<HistoryRow>,
    /// 1-based.
    pub page: u32,
    pub has_more: bool,
}

/// What a claim link did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ClaimOutcome {
    /// The analysis is now the signed-in user's.
    Saved { analysis_id: String },
    /// Signed out: the link is remembered and redeemed at sign-in or sign-up.
    SignInFirst,
}

/// `2026-11-23 14:05 UTC`: the same text on the server and in the browser.
pub fn format_utc(unix_s: i64) -> String {
    let days = unix_s.div_euclid(86_400);
    let secs = unix_s.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        secs / 3600,
        (secs % 3600) / 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
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
    fn unix_times_read_as_utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(1_795_450_500), "2026-11-23 16:15 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
    }
}
