use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="mx-auto max-w-md space-y-3 text-center">
            <h1 class="text-2xl font-bold">"Page not found"</h1>
            <p class="text-slate-600">"There is nothing at this address."</p>
            <a href="/" class="font-medium text-sky-700 hover:underline">"Back to Airtime"</a>
        </section>
    }
}
