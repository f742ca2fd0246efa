//! The original video with a button per event that seeks to it, and the key frames (skeleton
//! drawn) as thumbnails that seek too: a coach can check every instant the numbers rest on.

use leptos::{html, prelude::*};

use airtime_kinematics::Event;

use crate::labels::event_label;

#[component]
pub fn VideoEvents(
    video_url: String,
    /// Shown before the video plays.
    poster: Option<String>,
    events: Vec<Event>,
    /// (event name, image URL) for the events that have a key frame.
    key_frames: Vec<(String, String)>,
) -> impl IntoView {
    let video = NodeRef::<html::Video>::new();
    let seek = move |time_s: f64| {
        if let Some(video) = video.get() {
            let _ = video.pause();
            video.set_current_time(time_s);
            let _ = video.focus();
        }
    };
    let time_of = {
        let events = events.clone();
        move |name: &str| events.iter().find(|e| e.name == name).map(|e| e.time_s)
    };

    view! {
        <section aria-labelledby="video-title" class="space-y-4">
            <h2 id="video-title" class="text-xl font-bold">"Video and key frames"</h2>
            <video
                node_ref=video
                src=video_url
                poster=poster
                controls
                playsinline
                preload="metadata"
                class="max-h-[60vh] w-full rounded-lg bg-black object-contain"
            >
                "Your browser cannot play this video here; download the result instead."
            </video>
            <div role="group" aria-label="Jump to an event" class="flex flex-wrap gap-2">
                {events
                    .iter()
                    .map(|e| {
                        let t = e.time_s;
                        view! {
                            <button
                                type="button"
                                data-event=e.name.clone()
                                on:click=move |_| seek(t)
                                class="rounded-md border border-slate-300 bg-white px-3 py-1 text-sm font-medium hover:bg-slate-100"
                            >
                                {format!("{} · {:.2} s", event_label(&e.name), t)}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <ul class="grid grid-cols-2 gap-3 sm:grid-cols-4" aria-label="Key frames">
                {key_frames
                    .into_iter()
                    .map(|(name, url)| {
                        let label = event_label(&name);
                        let t = time_of(&name);
                        view! {
                            <li>
                                <button
                                    type="button"
                                    on:click=move |_| if let Some(t) = t { seek(t) }
                                    class="block w-full overflow-hidden rounded-lg border border-slate-200 bg-white text-left hover:border-sky-500"
                                >
                                    <img
                                        src=url
                                        alt=format!("{label}, with the tracked skeleton drawn")
                                        loading="lazy"
                                        class="aspect-video w-full bg-slate-100 object-contain"
                                    />
                                    <span class="block px-2 py-1 text-sm">
                                        {label} {t.map(|t| format!(" · {t:.2} s"))}
                                    </span>
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
