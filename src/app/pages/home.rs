use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::app::auth::Auth;

#[component]
pub fn HomePage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let query = use_query_map();
    let account_deleted = move || query.read().get("account").as_deref() == Some("deleted");
    let signed_in = move || matches!(auth.user.get(), Some(Ok(Some(_))));

    view! {
        <div class="space-y-8">
            <Show when=account_deleted>
                <p role="status" class="rounded-md border border-slate-200 bg-white px-4 py-3 text-sm">
                    "Your account was deleted."
                </p>
            </Show>
            <section class="space-y-4">
                <h1 class="text-4xl font-extrabold tracking-tight">"How high did you jump?"</h1>
                <p class="max-w-2xl text-lg text-slate-600">
                    "Airtime measures counter-movement jumps, drop jumps and squat jumps from a phone video: "
                    "flight time, jump height, ground contact time, reactive strength index and more. "
                    "Coaches keep every athlete's history in one place."
                </p>
                <Transition fallback=|| ()>
                    <Show when=move || !signed_in()>
                        <div class="flex flex-wrap gap-3">
                            <a href="/signup" class="rounded-md bg-sky-700 px-4 py-2 font-semibold text-white hover:bg-sky-800">
                                "Create a free account"
                            </a>
                            <a href="/signin" class="rounded-md border border-slate-300 px-4 py-2 font-semibold hover:bg-slate-100">
                                "Sign in"
                            </a>
                        </div>
                    </Show>
                </Transition>
            </section>
            <section aria-labelledby="how-to-film" class="rounded-xl border border-slate-200 bg-white p-6">
                <h2 id="how-to-film" class="mb-2 text-xl font-bold">"How to film a jump"</h2>
                <ul class="list-disc space-y-1 pl-5 text-slate-700">
                    <li>"Film from the side or at 45°, with the whole body and the floor in frame."</li>
                    <li>"Keep the phone still: lean it on something or use a tripod."</li>
                    <li>"Record at 60 frames per second or more if your phone allows it."</li>
                </ul>
            </section>
        </div>
    }
}
