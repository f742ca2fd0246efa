//! SQL for the `athletes` table. Every query is scoped to the coach (`user_id`).

use sqlx::{any::AnyRow, Row};
use std::collections::HashMap;

use crate::{
    domain::{
        athlete::{Athlete, NewAthlete, Sex},
        ids::{AthleteId, UserId},
    },
    server::db::Database,
};

fn from_row(row: &AnyRow) -> Result<Athlete, sqlx::Error> {
    let sex: Option<String> = row.try_get("sex")?;
    Ok(Athlete {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        body_mass_kg: row.try_get("body_mass_kg")?,
        sex: sex.as_deref().and_then(Sex::from_code),
        birth_year: row.try_get("birth_year")?,
    })
}

pub async fn insert(
    db: &Database,
    user_id: &UserId,
    athlete: &NewAthlete,
    now: i64,
) -> Result<Athlete, sqlx::Error> {
    let id = AthleteId::random().to_string();
    sqlx::query(
        "INSERT INTO athletes (id, user_id, name, body_mass_kg, sex, birth_year, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.clone())
    .bind(user_id.to_string())
    .bind(athlete.name.clone())
    .bind(athlete.body_mass_kg)
    .bind(athlete.sex.map(|s| s.code().to_string()))
    .bind(athlete.birth_year)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(Athlete {
        id,
        name: athlete.name.clone(),
        body_mass_kg: athlete.body_mass_kg,
        sex: athlete.sex,
        birth_year: athlete.birth_year,
    })
}

pub async fn list(db: &Database, user_id: &UserId) -> Result<Vec<Athlete>, sqlx::Error> {
    sqlx::query(
        "SELECT id, name, body_mass_kg, sex, birth_year FROM athletes WHERE user_id = $1 \
         ORDER BY name, id",
    )
    .bind(user_id.to_string())
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// The athlete if it is this coach's.
pub async fn find(
    db: &Database,
    user_id: &UserId,
    id: &AthleteId,
) -> Result<Option<Athlete>, sqlx::Error> {
    sqlx::query(
        "SELECT id, name, body_mass_kg, sex, birth_year FROM athletes WHERE id = $1 AND user_id = $2",
    )
    .bind(id.to_string())
    .bind(user_id.to_string())
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Id → name of the coach's athletes.
pub async fn names(
    db: &Database,
    user_id: &UserId,
) -> Result<HashMap<String, String>, sqlx::Error> {
    Ok(list(db, user_id)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}
