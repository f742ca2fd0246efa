//! An accessible progress bar with its label above it.

use leptos::prelude::*;

#[component]
pub fn ProgressBar(
    id: &'static str,
    #[prop(into)] label: String,
    /// 0–100.
    percent: f64,
) -> impl IntoView {
    let percent = percent.clamp(0.0, 100.0);
    let label_id = format!("{id}-label");
    view! {
        <div class="space-y-1">
            <p id=label_id.clone() class="text-sm font-medium text-slate-800">{label}</p>
            <div
                id=id
                role="progressbar"
                aria-labelledby=label_id
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=format!("{percent:.0}")
                class="h-3 w-full overflow-hidden rounded-full bg-slate-200"
            >
                <div
                    class="h-full rounded-full bg-sky-600 transition-[width] duration-300"
                    style=format!("width: {percent:.1}%")
                ></div>
            </div>
        </div>
    }
}
