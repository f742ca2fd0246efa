//! `/history`: the signed-in coach's analyses, newest first, filtered by jump type, a page at a
//! time, with links to each result, delete, and a CSV export of what the filter shows.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use std::collections::HashMap;

use crate::{
    api::{
        analyses::{load_history, DeleteAnalysis},
        athletes::list_athletes,
    },
    domain::history::{format_utc, HistoryRow},
    error::AppError,
    labels::jump_title,
};
use airtime_kinematics::JumpType;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let query = use_query_map();
    let jump = move || query.read().get("jump").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
            .max(1)
    };
    let claimed = move || {
        query
            .read()
            .get("claimed")
            .and_then(|n| n.parse::<u32>().ok())
    };
    let athlete = move || query.read().get("athlete").unwrap_or_default();
    let delete = ServerAction::<DeleteAnalysis>::new();
    let history = Resource::new(
        move || (jump(), athlete(), page(), delete.version().get()),
        |(jump, athlete, page, _)| load_history(jump, athlete, page),
    );
    let athletes = Resource::new(|| (), |_| list_athletes());
    let athlete_names = move || -> HashMap<String, String> {
        athletes
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect()
    };
    let navigate = use_navigate();
    let choose_athlete = move |ev: leptos::ev::Event| {
        let chosen = event_target_value(&ev);
        let mut href = String::from("/history");
        let mut sep = '?';
        for (key, value) in [("jump", jump()), ("athlete", chosen)] {
            if !value.is_empty() {
                href.push_str(&format!("{sep}{key}={value}"));
                sep = '&';
            }
        }
        navigate(&href, Default::default());
    };

    view! {
        <Title text="History — Airtime"/>
        <div class="space-y-6">
            <h1 class="text-3xl font-bold">"History"</h1>
            {move || claimed().map(|n| view! {
                <p role="status" data-testid="claim-notice" class="rounded-md border border-green-200 bg-green-50 px-4 py-3 text-green-900">
                    {format!("{n} {} saved to your account.", if n == 1 { "analysis" } else { "analyses" })}
                </p>
            })}
            <nav aria-label="Filter by jump type" class="flex flex-wrap gap-2 text-sm">
                {[("", "All jumps")]
                    .into_iter()
                    .chain(JumpType::ALL.iter().map(|j| (j.code(), jump_title(*j))))
                    .map(|(code, label)| {
                        let href = if code.is_empty() { "/history".to_string() } else { format!("/history?jump={code}") };
                        view! {
                            <a
                                href=href
                                aria-current=move || (jump() == code).then_some("page")
                                class="rounded-full border border-slate-300 px-3 py-1 hover:bg-slate-100 aria-[current=page]:border-sky-700 aria-[current=page]:bg-sky-700 aria-[current=page]:text-white"
                            >
                                {label}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
            <Transition fallback=|| ()>
                {move || {
                    let list = athletes.get().and_then(Result::ok).unwrap_or_default();
                    (!list.is_empty()).then(|| view! {
                        <div class="flex items-center gap-2 text-sm">
                            <label for="athlete-filter" class="font-medium">"Athlete"</label>
                            <select id="athlete-filter" on:change=choose_athlete.clone() class="rounded-md border border-slate-300 bg-white px-2 py-1">
                                <option value="" selected=athlete().is_empty()>"All athletes"</option>
                                {list.into_iter().map(|a| {
                                    let selected = athlete() == a.id;
                                    view! { <option value=a.id selected=selected>{a.name}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                    })
                }}
            </Transition>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || history.get().map(|loaded| match loaded {
                    Err(AppError::SignInRequired) => view! {
                        <p>
                            <a href="/signin" class="font-medium text-sky-700 hover:underline">"Sign in"</a>
                            " to see your history."
                        </p>
                    }
                        .into_any(),
                    Err(e) => view! { <p role="alert" class="text-red-800">{e.to_string()}</p> }.into_any(),
                    Ok(page_data) if page_data.rows.is_empty() && page_data.page == 1 => view! {
                        <p class="text-slate-700">
                            "No analyses yet. " <a href="/" class="font-medium text-sky-700 hover:underline">"Analyse a jump"</a>
                        </p>
                    }
                        .into_any(),
                    Ok(page_data) => {
                        let filter = jump();
                        let link = move |p: u32| {
                            let mut href = format!("/history?page={p}");
                            if !filter.is_empty() {
                                href.push_str(&format!("&jump={filter}"));
                            }
                            href
                        };
                        let chosen_athlete = athlete();
                        let export = format!("/api/history.csv?jump_type={}&athlete_id={}", jump(), chosen_athlete);
                        let link = move |p: u32| {
                            let mut href = link(p);
                            if !chosen_athlete.is_empty() {
                                href.push_str(&format!("&athlete={chosen_athlete}"));
                            }
                            href
                        };
                        view! {
                            <HistoryTable rows=page_data.rows names=athlete_names() delete=delete/>
                            <div class="flex flex-wrap items-center justify-between gap-3">
                                <div class="flex gap-3 text-sm">
                                    {(page_data.page > 1).then(|| view! { <a href=link(page_data.page - 1) class="font-medium text-sky-700 hover:underline">"← Newer"</a> })}
                                    <span class="text-slate-600">{format!("Page {}", page_data.page)}</span>
                                    {page_data.has_more.then(|| view! { <a href=link(page_data.page + 1) class="font-medium text-sky-700 hover:underline">"Older →"</a> })}
                                </div>
                                <a href=export download class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-semibold hover:bg-slate-100">
                                    "Export CSV"
                                </a>
                            </div>
                        }
                            .into_any()
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn HistoryTable(
    rows: Vec<HistoryRow>,
    names: HashMap<String, String>,
    delete: ServerAction<DeleteAnalysis>,
) -> impl IntoView {
    let number = |v: Option<f64>, decimals: usize| {
        v.map_or("—".to_string(), |v| format!("{v:.decimals$}"))
    };
    view! {
        <div class="overflow-x-auto rounded-xl border border-slate-200 bg-white">
            <table class="w-full text-left text-sm">
                <caption class="sr-only">"Your analyses, newest first"</caption>
                <thead class="bg-slate-50 text-slate-600">
                    <tr>
                        <th scope="col" class="px-3 py-2">"Date"</th>
                        <th scope="col" class="px-3 py-2">"Athlete"</th>
                        <th scope="col" class="px-3 py-2">"Jump"</th>
                        <th scope="col" class="px-3 py-2 text-right">"Height (cm)"</th>
                        <th scope="col" class="px-3 py-2 text-right">"Flight (ms)"</th>
                        <th scope="col" class="px-3 py-2 text-right">"Contact (ms)"</th>
                        <th scope="col" class="px-3 py-2 text-right">"RSI"</th>
                        <th scope="col" class="px-3 py-2 text-right">"Confidence"</th>
                        <th scope="col" class="px-3 py-2"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            let id = row.id.clone();
                            let athlete = row.athlete_id.as_ref().and_then(|a| names.get(a)).cloned().unwrap_or_default();
                            let status = match row.status {
                                crate::domain::analysis::AnalysisStatus::Done => None,
                                other => Some(other.as_str()),
                            };
                            view! {
                                <tr data-analysis=row.id.clone() class="border-t border-slate-100">
                                    <td class="px-3 py-2 whitespace-nowrap">{format_utc(row.created_at)}</td>
                                    <td class="px-3 py-2">{athlete}</td>
                                    <td class="px-3 py-2">{jump_title(row.jump_type)} {status.map(|s| view! { <span class="ml-1 text-xs text-slate-500">{format!("({s})")}</span> })}</td>
                                    <td data-column="jump_height_cm" class="px-3 py-2 text-right font-semibold">{number(row.jump_height_cm, 1)}</td>
                                    <td class="px-3 py-2 text-right">{number(row.flight_time_ms, 0)}</td>
                                    <td class="px-3 py-2 text-right">{number(row.contact_time_ms, 0)}</td>
                                    <td class="px-3 py-2 text-right">{number(row.rsi, 2)}</td>
                                    <td class="px-3 py-2 text-right">{row.confidence.map_or("—".to_string(), |c| format!("{:.0} %", c * 100.0))}</td>
                                    <td class="px-3 py-2 whitespace-nowrap text-right">
                                        <a href=format!("/analyses/{}", row.id) class="font-medium text-sky-700 hover:underline">"View"</a>
                                        <button
                                            type="button"
                                            on:click=move |_| {
                                                let sure = window()
                                                    .confirm_with_message("Delete this analysis and its video? This cannot be undone.")
                                                    .unwrap_or(false);
                                                if sure {
                                                    delete.dispatch(DeleteAnalysis { id: id.clone() });
                                                }
                                            }
                                            class="ml-3 text-red-700 hover:underline"
                                        >
                                            "Delete"
                                        </button>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
