//! A coach's athletes.

use leptos::prelude::*;

use crate::{
    domain::athlete::{Athlete, AthleteProfile},
    error::AppError,
};

/// The signed-in coach's athletes; none for a guest (forms on public pages ask for them too).
#[server(endpoint = "list_athletes")]
pub async fn list_athletes() -> Result<Vec<Athlete>, AppError> {
    use crate::server::{athletes::Athletes, context::with_status};
    let result = async {
        match Athletes::from_request().await {
            Ok(athletes) => athletes.list().await,
            Err(AppError::SignInRequired) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }
    .await;
    with_status(result)
}

#[server(endpoint = "create_athlete")]
pub async fn create_athlete(
    name: String,
    #[server(default)] body_mass_kg: String,
    #[server(default)] sex: String,
    #[server(default)] birth_year: String,
) -> Result<Athlete, AppError> {
    use crate::{
        domain::athlete::NewAthlete,
        server::{athletes::Athletes, context::finish},
    };
    let result = async {
        let this_year = 1970 + crate::server::time::unix_now() / 31_556_952;
        let athlete = NewAthlete::parse(&name, &body_mass_kg, &sex, &birth_year, this_year)?;
        Athletes::from_request().await?.create(&athlete).await
    }
    .await;
    finish(result).await
}

#[server(endpoint = "load_athlete")]
pub async fn load_athlete(id: String) -> Result<AthleteProfile, AppError> {
    use crate::server::{athletes::Athletes, context::with_status};
    let result = async { Athletes::from_request().await?.profile(&id).await }.await;
    with_status(result)
}
