//! `/forgot-password`: asks for a reset link by email. The answer never says whether the
//! address has an account.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::accounts::{password_reset_available, RequestPasswordReset},
    app::components::form::{Card, FormAlert, FormErrors, FormNotice, SubmitButton, TextField},
    error::Field,
};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let available = Resource::new(|| (), |_| password_reset_available());
    view! {
        <Title text="Forgot password — Airtime"/>
        <Card title="Reset your password">
            <Suspense fallback=|| ()>
                {move || available.get().map(|available| match available {
                    Ok(true) => view! { <RequestForm/> }.into_any(),
                    _ => view! {
                        <p role="status" data-testid="reset-unavailable" class="text-slate-700">
                            "Password reset by email is not set up on this server. Ask the person who runs it to reset your password."
                        </p>
                    }
                        .into_any(),
                })}
            </Suspense>
        </Card>
    }
}

#[component]
fn RequestForm() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let errors = FormErrors::new(action.value());
    let query = use_query_map();
    let sent =
        move || matches!(action.value().get(), Some(Ok(()))) || query.read().get("sent").is_some();
    view! {
        <ActionForm action=action>
            <div class="space-y-4">
                <Show
                    when=sent
                    fallback=|| view! {
                        <p class="text-sm text-slate-600">
                            "Enter the email address of your account, and we will email it a link to choose a new password."
                        </p>
                    }
                >
                    <FormNotice>
                        "If an account uses that address, we have emailed it a link to choose a new password. "
                        "The link works once, for 30 minutes. Nothing after a few minutes? Check the spam folder."
                    </FormNotice>
                </Show>
                <FormAlert message=errors.general()/>
                <TextField label="Email" name="email" input_type="email" autocomplete="email"
                    error=errors.field(Field::Email)/>
                <SubmitButton label="Email me a link" pending=action.pending()/>
            </div>
        </ActionForm>
        <p class="mt-4 text-sm text-slate-600">
            <a href="/signin" class="font-medium text-sky-700 hover:underline">"Back to sign in"</a>
        </p>
    }
}
