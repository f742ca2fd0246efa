//! `/athletes/<id>`: one athlete's best and latest results, the trend of jump height (and RSI
//! for drop jumps), their analyses and a CSV export.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::athletes::load_athlete,
    app::components::trend_chart::TrendChart,
    domain::{athlete::AthleteProfile, history::format_utc},
    error::AppError,
    labels::jump_title,
};
use airtime_kinematics::JumpType;

#[component]
pub fn AthletePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let profile = Resource::new(id, load_athlete);
    view! {
        <Title text="Athlete — Airtime"/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || profile.get().map(|loaded| match loaded {
                Ok(profile) => view! { <Profile profile=profile/> }.into_any(),
                Err(AppError::NotFound) => view! {
                    <h1 class="text-3xl font-bold">"Athlete not found"</h1>
                }
                    .into_any(),
                Err(AppError::SignInRequired) => view! {
                    <p><a href="/signin" class="font-medium text-sky-700 hover:underline">"Sign in"</a>" to see your athletes."</p>
                }
                    .into_any(),
                Err(e) => view! { <p role="alert" class="text-red-800">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Profile(profile: AthleteProfile) -> impl IntoView {
    let height = profile.best_and_latest(|p| p.jump_height_cm);
    let rsi = profile.best_and_latest(|p| p.rsi.filter(|_| p.jump_type == JumpType::DropJump));
    let height_points: Vec<(i64, f64)> = profile
        .points
        .iter()
        .filter_map(|p| Some((p.created_at, p.jump_height_cm?)))
        .collect();
    let rsi_points: Vec<(i64, f64)> = profile
        .points
        .iter()
        .filter(|p| p.jump_type == JumpType::DropJump)
        .filter_map(|p| Some((p.created_at, p.rsi?)))
        .collect();
    let athlete = profile.athlete.clone();
    let export = format!("/api/history.csv?athlete_id={}", athlete.id);
    let history = format!("/history?athlete={}", athlete.id);
    let card = |label: &'static str,
                key: &'static str,
                value: Option<f64>,
                unit: &'static str,
                decimals: usize| {
        view! {
            <li data-metric=key class="rounded-xl border border-slate-200 bg-white p-4">
                <p class="text-sm text-slate-600">{label}</p>
                <p class="mt-1 text-2xl font-bold">
                    {match value {
                        Some(v) => view! { <span data-value=format!("{v:.decimals$}")>{format!("{v:.decimals$}")}</span> " " <span class="text-base font-normal text-slate-600">{unit}</span> }.into_any(),
                        None => view! { <span>"—"</span> }.into_any(),
                    }}
                </p>
            </li>
        }
    };
    view! {
        <div class="space-y-6">
            <header class="space-y-1">
                <h1 class="text-3xl font-bold">{athlete.name.clone()}</h1>
                <p class="text-slate-600">
                    {[
                        athlete.body_mass_kg.map(|kg| format!("{kg:.1} kg")),
                        athlete.sex.map(|s| s.label().to_string()),
                        athlete.birth_year.map(|y| format!("born {y}")),
                        Some(format!("{} measured jump{}", profile.points.len(), if profile.points.len() == 1 { "" } else { "s" })),
                    ]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" · ")}
                </p>
            </header>
            <ul class="grid grid-cols-2 gap-3 sm:grid-cols-4" aria-label="Best and latest">
                {card("Best jump height", "best_jump_height_cm", height.map(|h| h.0), "cm", 1)}
                {card("Latest jump height", "latest_jump_height_cm", height.map(|h| h.1), "cm", 1)}
                {card("Best RSI (drop jump)", "best_rsi", rsi.map(|r| r.0), "", 2)}
                {card("Latest RSI (drop jump)", "latest_rsi", rsi.map(|r| r.1), "", 2)}
            </ul>
            <section aria-labelledby="height-trend" class="space-y-2">
                <h2 id="height-trend" class="text-xl font-bold">"Jump height"</h2>
                <TrendChart title="Jump height" unit="cm" decimals=1 points=height_points/>
            </section>
            {(!rsi_points.is_empty()).then(|| view! {
                <section aria-labelledby="rsi-trend" class="space-y-2">
                    <h2 id="rsi-trend" class="text-xl font-bold">"Reactive strength index (drop jumps)"</h2>
                    <TrendChart title="RSI" unit="" decimals=2 points=rsi_points/>
                </section>
            })}
            <section aria-labelledby="tests" class="space-y-2">
                <h2 id="tests" class="text-xl font-bold">"Tests"</h2>
                <ul class="space-y-1 text-sm">
                    {profile.points.iter().rev().map(|p| view! {
                        <li>
                            <a href=format!("/analyses/{}", p.analysis_id) class="text-sky-700 hover:underline">
                                {format!("{} · {}", format_utc(p.created_at), jump_title(p.jump_type))}
                            </a>
                            {p.jump_height_cm.map(|h| format!(" · {h:.1} cm"))}
                            {p.rsi.map(|r| format!(" · RSI {r:.2}"))}
                        </li>
                    }).collect_view()}
                </ul>
                <div class="flex gap-3">
                    <a href=history class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-semibold hover:bg-slate-100">"All analyses in the history"</a>
                    <a href=export download class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-semibold hover:bg-slate-100">"Export CSV"</a>
                </div>
            </section>
        </div>
    }
}
