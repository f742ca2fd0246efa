//! `/analyses/<id>`: the analysis' live progress while it runs, then its results: metric cards,
//! confidence and warnings, the trajectory chart, the video with key frames, and downloads.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use std::time::Duration;

use airtime_kinematics::Analysis;

use crate::{
    api::{
        analyses::{
            cancel_analysis, load_analysis, poll_analysis, AssignAthlete, CreateClaimLink,
            DeleteAnalysis,
        },
        athletes::list_athletes,
    },
    app::components::{
        metric_cards::MetricCards, progress_bar::ProgressBar, trajectory_chart::TrajectoryChart,
        video_events::VideoEvents,
    },
    domain::analysis::{time_left_phrase, AnalysisProgress, AnalysisStatus, AnalysisView},
    error::AppError,
    labels::{event_label, jump_title},
};

const POLL_EVERY: Duration = Duration::from_millis(700);

#[component]
pub fn AnalysisPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let analysis = Resource::new(id, load_analysis);
    let refresh = Callback::new(move |()| analysis.refetch());

    view! {
        <Title text="Jump analysis — Airtime"/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                analysis
                    .get()
                    .map(|loaded| match loaded {
                        Ok(view) => view! { <AnalysisBody analysis=view refresh=refresh/> }.into_any(),
                        Err(AppError::NotFound) => view! { <AnalysisNotFound/> }.into_any(),
                        Err(e) => view! {
                            <p role="alert" class="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-red-800">
                                {e.to_string()}
                            </p>
                        }
                            .into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn AnalysisNotFound() -> impl IntoView {
    view! {
        <section class="space-y-3">
            <h1 class="text-3xl font-bold">"Analysis not found"</h1>
            <p class="text-slate-700">
                "This analysis does not exist, has expired, or belongs to someone else. "
                <a href="/" class="font-medium text-sky-700 hover:underline">"Analyse a jump"</a>
            </p>
        </section>
    }
}

#[component]
fn AnalysisBody(analysis: AnalysisView, refresh: Callback<()>) -> impl IntoView {
    let title = jump_title(analysis.jump_type);
    let expiry = analysis.expires_in_s.map(|left| {
        let id = analysis.id.clone();
        view! {
            <section data-testid="expiry-notice" aria-label="Keep this analysis" class="space-y-2 rounded-md border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
                <p>
                    {format!("As a guest, this analysis and its video are deleted in {}. ", time_left_phrase(left))}
                    "Signing up (or signing in) in this browser keeps it."
                </p>
                <div class="flex flex-wrap items-center gap-3">
                    <a href="/signup" class="rounded-md bg-sky-700 px-3 py-1 font-semibold text-white hover:bg-sky-800">
                        "Save to my account"
                    </a>
                    <a href="/signin" class="font-semibold underline">"I have an account: sign in"</a>
                </div>
                <ClaimLink id=id/>
            </section>
        }
    });
    let status = analysis.progress.status;
    let content = match status {
        AnalysisStatus::Queued | AnalysisStatus::Running => view! {
            <LiveProgress id=analysis.id.clone() initial=analysis.progress.clone() refresh=refresh/>
        }
            .into_any(),
        AnalysisStatus::Failed => view! {
            <div role="alert" data-testid="analysis-error" class="space-y-2 rounded-md border border-red-200 bg-red-50 px-4 py-3 text-red-900">
                <p class="font-semibold">"Airtime could not measure a jump in this video."</p>
                <p>{analysis.progress.error.clone().unwrap_or_default()}</p>
                <p><a href="/" class="font-medium text-sky-800 underline">"Try another video"</a></p>
            </div>
        }
            .into_any(),
        AnalysisStatus::Cancelled => view! {
            <p role="status" class="rounded-md border border-slate-200 bg-white px-4 py-3">
                "This analysis was cancelled. " <a href="/" class="font-medium text-sky-700 underline">"Analyse a jump"</a>
            </p>
        }
            .into_any(),
        AnalysisStatus::Done => match analysis.result.clone() {
            Some(result) => view! { <Results analysis=analysis.clone() result=result/> }.into_any(),
            None => ().into_any(),
        },
    };
    view! {
        <div class="space-y-6">
            <header class="space-y-1">
                <h1 class="text-3xl font-bold">{title}</h1>
                {analysis.body_mass_kg.map(|kg| view! { <p class="text-slate-600">{format!("Body mass {kg:.1} kg")}</p> })}
                {analysis.owned_by_account.then(|| view! {
                    <AthleteAssignment id=analysis.id.clone() current=analysis.athlete_id.clone().unwrap_or_default()/>
                })}
            </header>
            {expiry}
            {content}
            <DeleteButton id=analysis.id.clone()/>
        </div>
    }
}

/// Polls the server while the analysis runs; reloads the page's data when it settles.
#[component]
fn LiveProgress(id: String, initial: AnalysisProgress, refresh: Callback<()>) -> impl IntoView {
    let progress = RwSignal::new(initial);
    let polling = StoredValue::new(false);
    let id = StoredValue::new(id);

    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                if polling.get_value() {
                    return;
                }
                polling.set_value(true);
                spawn_local(async move {
                    if let Ok(latest) = poll_analysis(id.get_value()).await {
                        let settled = !latest.status.is_active();
                        progress.set(latest);
                        if settled {
                            refresh.run(());
                        }
                    }
                    polling.set_value(false);
                });
            },
            POLL_EVERY,
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });

    let cancel = move |_| {
        spawn_local(async move {
            if let Ok(latest) = cancel_analysis(id.get_value()).await {
                progress.set(latest);
                refresh.run(());
            }
        });
    };

    view! {
        <section aria-labelledby="progress-title" class="space-y-3 rounded-xl border border-slate-200 bg-white p-6">
            <h2 id="progress-title" class="text-xl font-bold">"Analysing"</h2>
            {move || {
                let p = progress.get();
                let label = format!("{} — {:.0} %", p.label(), p.fraction * 100.0);
                view! { <ProgressBar id="analysis-progress" label=label percent=p.fraction * 100.0/> }
            }}
            <p class="text-sm text-slate-600">"You can leave this page open; the results appear here when they are ready."</p>
            <button
                type="button"
                on:click=cancel
                class="rounded-md border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-100"
            >
                "Cancel analysis"
            </button>
        </section>
    }
}

#[component]
fn Results(analysis: AnalysisView, result: Analysis) -> impl IntoView {
    let r = result.result;
    let confidence = r.confidence;
    let (confidence_word, confidence_class) = match confidence {
        c if c >= 0.8 => ("High", "text-green-800"),
        c if c >= 0.5 => ("Medium", "text-amber-800"),
        _ => ("Low", "text-red-800"),
    };
    let key_frames: Vec<(String, String)> = analysis
        .key_frames
        .iter()
        .map(|e| (e.clone(), analysis.key_frame_url(e)))
        .collect();
    let poster = ["takeoff", "lowest_point"]
        .into_iter()
        .chain(analysis.key_frames.iter().map(String::as_str))
        .find(|e| analysis.key_frames.iter().any(|k| k == e))
        .map(|e| analysis.key_frame_url(e));
    let other_jumps = r.jumps.len().saturating_sub(1);
    view! {
        <MetricCards metrics=r.metrics.clone()/>
        <section aria-labelledby="quality-title" class="space-y-2 rounded-xl border border-slate-200 bg-white p-5">
            <h2 id="quality-title" class="text-lg font-bold">
                "Confidence: "
                <span data-testid="confidence" data-value=format!("{confidence:.2}") class=confidence_class>
                    {format!("{confidence_word} ({:.0} %)", confidence * 100.0)}
                </span>
            </h2>
            <ul class="list-disc space-y-1 pl-5 text-sm text-slate-700">
                {r.confidence_reasons.iter().map(|reason| view! { <li>{reason.clone()}</li> }).collect_view()}
                {r.warnings.iter().map(|w| view! { <li data-warning=w.code.clone()>{w.message.clone()}</li> }).collect_view()}
                {(other_jumps > 0).then(|| view! {
                    <li>{format!("{other_jumps} other movement{} in the clip was not used for the numbers.", if other_jumps == 1 { "" } else { "s" })}</li>
                })}
            </ul>
        </section>
        <section aria-labelledby="chart-title" class="space-y-2">
            <h2 id="chart-title" class="text-xl font-bold">"Movement"</h2>
            <TrajectoryChart points=r.trajectory.clone() events=r.events.clone()/>
        </section>
        <VideoEvents video_url=analysis.video_url() poster=poster events=r.events.clone() key_frames=key_frames/>
        <section aria-labelledby="downloads-title" class="space-y-2">
            <h2 id="downloads-title" class="text-xl font-bold">"Download"</h2>
            <div class="flex flex-wrap gap-3">
                <a href=analysis.download_url("json") download class="rounded-md bg-sky-700 px-4 py-2 font-semibold text-white hover:bg-sky-800">"Result as JSON"</a>
                <a href=analysis.download_url("csv") download class="rounded-md border border-slate-300 px-4 py-2 font-semibold hover:bg-slate-100">"Result as CSV"</a>
            </div>
            <p class="text-sm text-slate-600">
                {format!("Events: {}.", r.events.iter().map(|e| format!("{} {:.3} s", event_label(&e.name), e.time_s)).collect::<Vec<_>>().join(", "))}
            </p>
        </section>
    }
}

/// Which of the coach's athletes jumped; changing it saves at once.
#[component]
fn AthleteAssignment(id: String, current: String) -> impl IntoView {
    let athletes = Resource::new(|| (), |_| list_athletes());
    let assign = ServerAction::<AssignAthlete>::new();
    let id = StoredValue::new(id);
    view! {
        <Transition fallback=|| ()>
            {move || {
                let list = athletes.get().and_then(Result::ok).unwrap_or_default();
                let current = current.clone();
                (!list.is_empty()).then(|| view! {
                    <div class="flex flex-wrap items-center gap-2 text-sm">
                        <label for="assign-athlete" class="font-medium">"Athlete"</label>
                        <select
                            id="assign-athlete"
                            on:change=move |ev| {
                                assign.dispatch(AssignAthlete { id: id.get_value(), athlete_id: event_target_value(&ev) });
                            }
                            class="rounded-md border border-slate-300 bg-white px-2 py-1"
                        >
                            <option value="" selected=current.is_empty()>"Nobody in particular"</option>
                            {list.into_iter().map(|a| {
                                let selected = a.id == current;
                                view! { <option value=a.id selected=selected>{a.name}</option> }
                            }).collect_view()}
                        </select>
                        <span role="status" class="text-slate-600">
                            {move || match assign.value().get() {
                                Some(Ok(())) => "Saved".to_string(),
                                Some(Err(e)) => e.to_string(),
                                None => String::new(),
                            }}
                        </span>
                    </div>
                })
            }}
        </Transition>
    }
}

/// A single-use link to save the analysis from another device.
#[component]
fn ClaimLink(id: String) -> impl IntoView {
    let create = ServerAction::<CreateClaimLink>::new();
    let url = move || {
        create.value().get().and_then(Result::ok).map(|path| {
            let origin = window().location().origin().unwrap_or_default();
            format!("{origin}{path}")
        })
    };
    view! {
        {move || match url() {
            Some(link) => view! {
                <div class="space-y-1">
                    <label for="claim-link" class="block font-medium">"Link to save it from another device (works once)"</label>
                    <input
                        id="claim-link"
                        type="text"
                        readonly
                        value=link
                        on:focus=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            input.select();
                        }
                        class="block w-full rounded-md border border-amber-300 bg-white px-2 py-1 font-mono text-xs"
                    />
                </div>
            }
                .into_any(),
            None => view! {
                <button
                    type="button"
                    on:click={
                        let id = id.clone();
                        move |_| {
                            create.dispatch(CreateClaimLink { id: id.clone() });
                        }
                    }
                    class="rounded-md border border-amber-300 bg-white px-3 py-1 font-medium hover:bg-amber-100"
                >
                    "Get a link for another device"
                </button>
            }
                .into_any(),
        }}
    }
}

#[component]
fn DeleteButton(id: String) -> impl IntoView {
    let delete = ServerAction::<DeleteAnalysis>::new();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            navigate("/?analysis=deleted", Default::default());
        }
    });
    let confirm_and_delete = move |_| {
        let sure = window()
            .confirm_with_message("Delete this analysis and its video? This cannot be undone.")
            .unwrap_or(false);
        if sure {
            delete.dispatch(DeleteAnalysis { id: id.clone() });
        }
    };
    view! {
        <div class="border-t border-slate-200 pt-4">
            <button
                type="button"
                on:click=confirm_and_delete
                class="text-sm font-medium text-red-700 hover:underline"
            >
                "Delete this analysis"
            </button>
            {move || delete.value().get().and_then(Result::err).map(|e| view! {
                <p role="alert" class="text-sm text-red-800">{e.to_string()}</p>
            })}
        </div>
    }
}
