//! The user interface, rendered on the server and hydrated in the browser.

pub mod auth;
pub mod components;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use auth::Auth;
use components::header::Header;
use pages::{
    account::AccountPage, analysis::AnalysisPage, athlete::AthletePage, athletes::AthletesPage,
    claim::ClaimPage, forgot_password::ForgotPasswordPage, history::HistoryPage, home::HomePage,
    not_found::NotFound, reset_password::ResetPasswordPage, sign_in::SignInPage,
    sign_up::SignUpPage,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="description" content="Airtime measures vertical jumps from phone videos."/>
                <link rel="icon" href="/favicon.ico"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

/// The Content-Security-Policy of this page, with the nonce leptos_axum put on its inline
/// scripts (it makes one per response).
#[cfg(feature = "ssr")]
fn set_page_policy() {
    use axum::http::{header::CONTENT_SECURITY_POLICY, HeaderValue};
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = crate::server::middleware::security_headers::page_policy(&nonce);
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(Auth::new());
    // Tests and scripts wait for this before they click: before hydration a click is a plain
    // form post.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    // Pages render whole (Async) rather than streamed out of order: out-of-order chunks need a
    // script to slot in, and the signed-in header must also appear without JavaScript.
    view! {
        <Stylesheet id="leptos" href="/pkg/airtime.css"/>
        <Title text="Airtime — jump testing from phone videos"/>
        <Router>
            <Header/>
            <main class="mx-auto w-full max-w-5xl px-4 py-8">
                <Routes fallback=NotFound>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("signin") view=SignInPage ssr=SsrMode::Async/>
                    <Route path=path!("signup") view=SignUpPage ssr=SsrMode::Async/>
                    <Route path=path!("forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("reset-password/:token") view=ResetPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("account") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("analyses/:id") view=AnalysisPage ssr=SsrMode::Async/>
                    <Route path=path!("history") view=HistoryPage ssr=SsrMode::Async/>
                    <Route path=path!("athletes") view=AthletesPage ssr=SsrMode::Async/>
                    <Route path=path!("athletes/:id") view=AthletePage ssr=SsrMode::Async/>
                    <Route path=path!("claim/:token") view=ClaimPage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}
