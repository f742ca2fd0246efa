//! The home page's form: a video (picked or dropped), the jump type and an optional body mass.
//! It uploads with a progress bar (percent and speed) and then opens the results page, which
//! follows the analysis.

mod xhr;

use leptos::{html, prelude::*};
use leptos_router::hooks::use_navigate;

use super::{form::FormAlert, progress_bar::ProgressBar};
use crate::{
    api::{analyses::load_upload_limits, athletes::list_athletes},
    domain::analysis::UploadLimits,
    error::{AppError, Field},
    labels::jump_title,
};
use airtime_kinematics::JumpType;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Upload {
    Idle,
    Sending {
        percent: f64,
        mb_per_s: f64,
    },
    /// Every byte sent; the server is checking the video.
    Checking,
}

#[component]
pub fn AnalyseForm() -> impl IntoView {
    let limits = Resource::new(|| (), |_| load_upload_limits());
    // The server's own limits, read before the page renders; until then the server's checks
    // stand alone.
    let limits = move || limits.get().and_then(Result::ok);
    let file_input = NodeRef::<html::Input>::new();
    let chosen = RwSignal::new(None::<(String, f64)>);
    let jump_type = RwSignal::new(JumpType::Cmj);
    let body_mass = RwSignal::new(String::new());
    let athletes = Resource::new(|| (), |_| list_athletes());
    let athlete = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let upload = RwSignal::new(Upload::Idle);
    let dragging = RwSignal::new(false);
    let navigate = use_navigate();

    let field_error = move |field: Field| {
        Signal::derive(move || {
            error
                .get()
                .filter(|e| e.field() == Some(field))
                .map(|e| e.to_string())
        })
    };
    let general_error = Signal::derive(move || {
        error
            .get()
            .filter(|e| e.field().is_none())
            .map(|e| e.to_string())
    });
    let busy = move || upload.get() != Upload::Idle;

    let show_file = move || {
        let file = file_input
            .get()
            .and_then(|i| i.files())
            .and_then(|f| f.get(0));
        chosen.set(file.map(|f| (f.name(), f.size())));
        error.set(None);
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy() {
            return;
        }
        let Some(file) = file_input
            .get()
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            error.set(Some(AppError::invalid(
                Field::Video,
                "Choose the video of the jump first.",
            )));
            return;
        };
        if let Some(UploadLimits { max_upload_mb, .. }) = limits() {
            if file.size() > max_upload_mb as f64 * 1e6 {
                error.set(Some(AppError::UploadTooLarge {
                    max_mb: max_upload_mb,
                }));
                return;
            }
        }
        error.set(None);
        let mut url = format!(
            "/api/analyses?jump_type={}",
            jump_type.get_untracked().code()
        );
        let chosen_athlete = athlete.get_untracked();
        if !chosen_athlete.is_empty() {
            url.push_str("&athlete_id=");
            url.push_str(&chosen_athlete);
        }
        let mass = body_mass.get_untracked();
        if !mass.trim().is_empty() {
            url.push_str("&body_mass_kg=");
            url.push_str(
                &js_sys::encode_uri_component(mass.trim())
                    .as_string()
                    .unwrap_or_default(),
            );
        }
        let started_ms = js_sys::Date::now();
        upload.set(Upload::Sending {
            percent: 0.0,
            mb_per_s: 0.0,
        });
        let navigate = navigate.clone();
        let sent = xhr::send(&url, &file, move |event| match event {
            xhr::UploadEvent::Progress { loaded, total } => {
                let seconds = ((js_sys::Date::now() - started_ms) / 1000.0).max(0.001);
                upload.set(if loaded >= total {
                    Upload::Checking
                } else {
                    Upload::Sending {
                        percent: 100.0 * loaded / total.max(1.0),
                        mb_per_s: loaded / 1e6 / seconds,
                    }
                });
            }
            xhr::UploadEvent::Finished(Ok(accepted)) => navigate(&accepted.url, Default::default()),
            xhr::UploadEvent::Finished(Err(e)) => {
                upload.set(Upload::Idle);
                error.set(Some(e));
            }
            xhr::UploadEvent::Cancelled => upload.set(Upload::Idle),
        });
        if let Err(e) = sent {
            upload.set(Upload::Idle);
            error.set(Some(e));
        }
    };
    let cancel_upload = move |_| {
        xhr::cancel();
        upload.set(Upload::Idle);
    };

    let video_error = field_error(Field::Video);
    let mass_error = field_error(Field::BodyMass);
    let jump_error = field_error(Field::JumpType);
    view! {
        <form
            on:submit=submit
            novalidate
            aria-labelledby="analyse-title"
            class="space-y-5 rounded-xl border border-slate-200 bg-white p-6 shadow-sm"
        >
            <h2 id="analyse-title" class="text-xl font-bold">"Analyse a jump"</h2>
            <FormAlert message=general_error/>
            <div class="space-y-1">
                <label
                    for="field-video"
                    class=move || format!(
                        "flex cursor-pointer flex-col items-center justify-center gap-1 rounded-lg border-2 border-dashed px-4 py-8 text-center {}",
                        if dragging.get() { "border-sky-600 bg-sky-50" } else { "border-slate-300 hover:border-sky-500" },
                    )
                    on:dragover=move |ev: leptos::ev::DragEvent| {
                        ev.prevent_default();
                        dragging.set(true);
                    }
                    on:dragleave=move |_| dragging.set(false)
                    on:drop=move |ev: leptos::ev::DragEvent| {
                        ev.prevent_default();
                        dragging.set(false);
                        let files = ev.data_transfer().and_then(|d| d.files());
                        if let (Some(input), Some(files)) = (file_input.get(), files) {
                            input.set_files(Some(&files));
                            show_file();
                        }
                    }
                >
                    <span class="font-semibold text-sky-800">"Choose a video or drop it here"</span>
                    <span class="text-sm text-slate-600">
                        {move || match limits() {
                            Some(l) => format!("MP4, MOV or WebM, up to {} MB and {:.0} seconds", l.max_upload_mb, l.max_video_seconds),
                            None => "MP4, MOV or WebM".to_string(),
                        }}
                    </span>
                    <span data-testid="chosen-file" class="text-sm font-medium text-slate-900">
                        {move || chosen.get().map(|(name, size)| format!("{name} ({:.1} MB)", size / 1e6))}
                    </span>
                </label>
                <input
                    node_ref=file_input
                    id="field-video"
                    name="video"
                    type="file"
                    accept="video/*,.mp4,.mov,.m4v,.webm,.mkv"
                    class="sr-only"
                    aria-describedby="field-video-message"
                    aria-invalid=move || if video_error.get().is_some() { "true" } else { "false" }
                    on:change=move |_| show_file()
                />
                <p id="field-video-message" aria-live="polite" class="text-sm text-red-700">
                    {move || video_error.get()}
                </p>
            </div>

            <fieldset class="space-y-2" aria-describedby="field-jump_type-message">
                <legend class="text-sm font-medium text-slate-800">"Jump type"</legend>
                <div class="flex flex-wrap gap-2">
                    {JumpType::ALL
                        .into_iter()
                        .map(|jump| {
                            let id = format!("jump-{}", jump.code());
                            let label_for = id.clone();
                            view! {
                                <label
                                    for=label_for
                                    class="flex cursor-pointer items-center gap-2 rounded-md border border-slate-300 px-3 py-2 has-[:checked]:border-sky-600 has-[:checked]:bg-sky-50"
                                >
                                    <input
                                        id=id
                                        type="radio"
                                        name="jump_type"
                                        value=jump.code()
                                        prop:checked=move || jump_type.get() == jump
                                        on:change=move |_| jump_type.set(jump)
                                    />
                                    {jump_title(jump)}
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
                <p id="field-jump_type-message" class="text-sm text-red-700">{move || jump_error.get()}</p>
            </fieldset>

            <Transition fallback=|| ()>
                {move || {
                    let list = athletes.get().and_then(Result::ok).unwrap_or_default();
                    (!list.is_empty()).then(|| view! {
                        <div class="space-y-1">
                            <label for="field-athlete" class="block text-sm font-medium text-slate-800">"Athlete (optional)"</label>
                            <select
                                id="field-athlete"
                                on:change=move |ev| athlete.set(event_target_value(&ev))
                                class="block w-full max-w-xs rounded-md border border-slate-300 bg-white px-3 py-2"
                            >
                                <option value="">"Nobody in particular"</option>
                                {list.into_iter().map(|a| view! { <option value=a.id>{a.name}</option> }).collect_view()}
                            </select>
                            <p class="text-sm text-red-700">{move || field_error(Field::Athlete).get()}</p>
                        </div>
                    })
                }}
            </Transition>
            <div class="space-y-1">
                <label for="field-body_mass_kg" class="block text-sm font-medium text-slate-800">
                    "Body mass (kg, optional)"
                </label>
                <input
                    id="field-body_mass_kg"
                    name="body_mass_kg"
                    type="number"
                    inputmode="decimal"
                    min="20"
                    max="250"
                    step="0.1"
                    prop:value=move || body_mass.get()
                    on:input=move |ev| body_mass.set(event_target_value(&ev))
                    aria-describedby="field-body_mass_kg-message"
                    aria-invalid=move || if mass_error.get().is_some() { "true" } else { "false" }
                    class="block w-40 rounded-md border border-slate-300 bg-white px-3 py-2 shadow-sm focus:border-sky-600 focus:outline-none focus:ring-2 focus:ring-sky-200"
                />
                <p id="field-body_mass_kg-message" class="text-sm">
                    {move || match mass_error.get() {
                        Some(message) => view! { <span class="text-red-700">{message}</span> }.into_any(),
                        None => view! { <span class="text-slate-500">"Adds a peak power estimate (empty: the athlete's recorded mass)."</span> }.into_any(),
                    }}
                </p>
            </div>

            {move || match upload.get() {
                Upload::Idle => view! {
                    <button
                        type="submit"
                        class="w-full rounded-md bg-sky-700 px-4 py-2 font-semibold text-white shadow-sm hover:bg-sky-800 sm:w-auto"
                    >
                        "Analyse jump"
                    </button>
                }
                    .into_any(),
                state => {
                    let (percent, label) = match state {
                        Upload::Sending { percent, mb_per_s } => (
                            percent,
                            format!("Uploading… {percent:.0} % ({mb_per_s:.1} MB/s)"),
                        ),
                        _ => (100.0, "Uploaded. Checking the video…".to_string()),
                    };
                    view! {
                        <div class="space-y-2">
                            <ProgressBar id="upload-progress" label=label percent=percent/>
                            <button
                                type="button"
                                on:click=cancel_upload
                                class="rounded-md border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-100"
                            >
                                "Cancel upload"
                            </button>
                        </div>
                    }
                        .into_any()
                }
            }}
        </form>
    }
}
