//! A coach's athletes: who they are, and how their jumps went over time.

use serde::{Deserialize, Serialize};

use super::analysis::parse_body_mass;
use crate::error::{AppError, Field};
use airtime_kinematics::JumpType;

pub const MAX_NAME_CHARS: usize = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Other,
}

impl Sex {
    pub const ALL: [Sex; 3] = [Sex::Female, Sex::Male, Sex::Other];

    pub fn code(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sex::Female => "Female",
            Sex::Male => "Male",
            Sex::Other => "Other",
        }
    }

    pub fn from_code(code: &str) -> Option<Sex> {
        Sex::ALL.into_iter().find(|s| s.code() == code)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Athlete {
    pub id: String,
    pub name: String,
    pub body_mass_kg: Option<f64>,
    pub sex: Option<Sex>,
    pub birth_year: Option<i64>,
}

/// A new athlete as typed into the form, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAthlete {
    pub name: String,
    pub body_mass_kg: Option<f64>,
    pub sex: Option<Sex>,
    pub birth_year: Option<i64>,
}

impl NewAthlete {
    /// `this_year` bounds the birth year (no athletes from the future).
    pub fn parse(
        name: &str,
        body_mass_kg: &str,
        sex: &str,
        birth_year: &str,
        this_year: i64,
    ) -> Result<Self, AppError> {
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err(AppError::invalid(Field::Name, "Enter the athlete's name."));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(AppError::invalid(
                Field::Name,
                format!("Use at most {MAX_NAME_CHARS} characters."),
            ));
        }
        let body_mass_kg = parse_body_mass(body_mass_kg)?;
        let sex =
            match sex.trim() {
                "" => None,
                code => Some(Sex::from_code(code).ok_or_else(|| {
                    AppError::invalid(Field::Sex, "Choose female, male or other.")
                })?),
            };
        let birth_year = match birth_year.trim() {
            "" => None,
            text => Some(
                text.parse::<i64>()
                    .ok()
                    .filter(|y| (1900..=this_year).contains(y))
                    .ok_or_else(|| {
                        AppError::invalid(
                            Field::BirthYear,
                            format!(
                                "Enter a year between 1900 and {this_year}, or leave it empty."
                            ),
                        )
                    })?,
            ),
        };
        Ok(Self {
            name,
            body_mass_kg,
            sex,
            birth_year,
        })
    }
}

/// One measured jump of an athlete, for trends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub analysis_id: String,
    pub created_at: i64,
    pub jump_type: JumpType,
    pub jump_height_cm: Option<f64>,
    pub rsi: Option<f64>,
}

/// Everything the athlete page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AthleteProfile {
    pub athlete: Athlete,
    /// Oldest first.
    pub points: Vec<TrendPoint>,
}

impl AthleteProfile {
    /// (best, latest) of a value over the measured jumps.
    pub fn best_and_latest(
        &self,
        value: impl Fn(&TrendPoint) -> Option<f64>,
    ) -> Option<(f64, f64)> {
        let values: Vec<f64> = self.points.iter().filter_map(value).collect();
        let best = values.iter().copied().reduce(f64::max)?;
        Some((best, *values.last()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn athletes_are_checked_field_by_field() {
        let a = NewAthlete::parse("  Ana   Silva ", "61,5", "female", "2004", 2026).unwrap();
        assert_eq!(a.name, "Ana Silva");
        assert_eq!(a.body_mass_kg, Some(61.5));
        assert_eq!(a.sex, Some(Sex::Female));
        assert_eq!(a.birth_year, Some(2004));
        let bare = NewAthlete::parse("Bo", "", "", "", 2026).unwrap();
        assert_eq!(
            (bare.body_mass_kg, bare.sex, bare.birth_year),
            (None, None, None)
        );
        for (args, field) in [
            (("", "", "", ""), Field::Name),
            (("Bo", "7", "", ""), Field::BodyMass),
            (("Bo", "", "robot", ""), Field::Sex),
            (("Bo", "", "", "2031"), Field::BirthYear),
        ] {
            let err = NewAthlete::parse(args.0, args.1, args.2, args.3, 2026).unwrap_err();
            assert_eq!(err.field(), Some(field));
        }
    }

    #[test]
    fn best_and_latest_skip_unmeasured_jumps() {
        let point = |h: Option<f64>| TrendPoint {
            analysis_id: String::new(),
            created_at: 0,
            jump_type: JumpType::Cmj,
            jump_height_cm: h,
            rsi: None,
        };
        let profile = AthleteProfile {
            athlete: Athlete {
                id: "a".into(),
                name: "A".into(),
                body_mass_kg: None,
                sex: None,
                birth_year: None,
            },
            points: vec![
                point(Some(30.0)),
                point(Some(41.0)),
                point(Some(35.0)),
                point(None),
            ],
        };
        assert_eq!(
            profile.best_and_latest(|p| p.jump_height_cm),
            Some((41.0, 35.0))
        );
        assert_eq!(profile.best_and_latest(|p| p.rsi), None);
    }
}
