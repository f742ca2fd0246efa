use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::app::{auth::Auth, components::analyse_form::AnalyseForm};

#[component]
pub fn HomePage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let query = use_query_map();
    let notice = move || match query.read().get("account").as_deref() {
        Some("deleted") => Some("Your account was deleted."),
        _ => match query.read().get("analysis").as_deref() {
            Some("deleted") => Some("The analysis and its video were deleted."),
            _ => None,
        },
    };
    let signed_in = move || matches!(auth.user.get(), Some(Ok(Some(_))));

    view! {
        <div class="space-y-8">
            {move || notice().map(|text| view! {
                <p role="status" class="rounded-md border border-slate-200 bg-white px-4 py-3 text-sm">{text}</p>
            })}
            <section class="space-y-3">
                <h1 class="text-4xl font-extrabold tracking-tight">"How high did you jump?"</h1>
                <p class="max-w-2xl text-lg text-slate-600">
                    "Drop a phone video of a countermovement jump, drop jump or squat jump: Airtime measures "
                    "flight time, jump height, ground contact time, reactive strength index and more. "
                    "No account needed to try it."
                </p>
            </section>
            <div class="grid gap-6 lg:grid-cols-[3fr_2fr]">
                <AnalyseForm/>
                <aside aria-labelledby="how-to-film" class="space-y-4 rounded-xl border border-slate-200 bg-white p-6">
                    <h2 id="how-to-film" class="text-xl font-bold">"How to film a jump"</h2>
                    <ul class="list-disc space-y-1 pl-5 text-slate-700">
                        <li>"Film from the side or at 45°, with the whole body and the floor in frame."</li>
                        <li>"Keep the phone still: lean it on something or use a tripod."</li>
                        <li>"Start before the jump and stop after the landing; a few seconds is enough."</li>
                        <li>"Record at 60 frames per second or more if your phone allows it."</li>
                    </ul>
                    <Transition fallback=|| ()>
                        <Show when=move || !signed_in()>
                            <p class="text-sm text-slate-600">
                                "As a guest, your analyses are kept for a short time only. "
                                <a href="/signup" class="font-semibold text-sky-700 hover:underline">"Create a free account"</a>
                                " to keep every athlete's history."
                            </p>
                        </Show>
                    </Transition>
                </aside>
            </div>
        </div>
    }
}
