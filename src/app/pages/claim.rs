//! `/claim/<token>`: a claim link opened on another device. Saving is a button, not the page
//! load, so a link alone never changes an account.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::analyses::RedeemClaimLink,
    app::components::form::{Card, FormAlert},
    domain::history::ClaimOutcome,
};

#[component]
pub fn ClaimPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let redeem = ServerAction::<RedeemClaimLink>::new();
    let error = Signal::derive(move || {
        redeem
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    });

    view! {
        <Title text="Save an analysis — Airtime"/>
        <Card title="Save an analysis to your account">
            {move || match redeem.value().get() {
                Some(Ok(ClaimOutcome::Saved { analysis_id })) => view! {
                    <p role="status" data-testid="claim-result" class="space-y-2">
                        "The analysis is saved to your account. "
                        <a href=format!("/analyses/{analysis_id}") class="font-semibold text-sky-700 hover:underline">"Open it"</a>
                        " or see your "
                        <a href="/history" class="font-semibold text-sky-700 hover:underline">"history"</a>
                        "."
                    </p>
                }
                    .into_any(),
                Some(Ok(ClaimOutcome::SignInFirst)) => view! {
                    <p role="status" data-testid="claim-result">
                        "Sign in or create an account, and the analysis will be saved to it. "
                        <a href="/signin" class="font-semibold text-sky-700 hover:underline">"Sign in"</a>
                        " · "
                        <a href="/signup" class="font-semibold text-sky-700 hover:underline">"Create an account"</a>
                    </p>
                }
                    .into_any(),
                _ => view! {
                    <div class="space-y-4">
                        <p class="text-slate-700">
                            "Someone analysed a jump as a guest and shared this link so the analysis can be kept in an account. "
                            "Each link works once."
                        </p>
                        <FormAlert message=error/>
                        <button
                            type="button"
                            disabled=move || redeem.pending().get()
                            on:click=move |_| {
                                redeem.dispatch(RedeemClaimLink { token: token() });
                            }
                            class="w-full rounded-md bg-sky-700 px-4 py-2 font-semibold text-white shadow-sm hover:bg-sky-800 disabled:opacity-60"
                        >
                            "Save to my account"
                        </button>
                    </div>
                }
                    .into_any(),
            }}
        </Card>
    }
}
