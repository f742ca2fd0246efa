//! `/reset-password/<token>`: the page a reset email links to. Choosing the password is a form
//! post, not the page load, so a link opened by a mail scanner spends nothing.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::accounts::ResetPassword,
    app::components::form::{Card, FormAlert, FormErrors, SubmitButton, TextField},
    error::Field,
};

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let action = ServerAction::<ResetPassword>::new();
    let errors = FormErrors::new(action.value());
    view! {
        <Title text="Choose a new password — Airtime"/>
        <Card title="Choose a new password">
            <ActionForm action=action>
                <div class="space-y-4">
                    <p class="text-sm text-slate-600">
                        "Every device signed in to your account will be signed out."
                    </p>
                    <FormAlert message=errors.general()/>
                    <input type="hidden" name="token" value=token/>
                    <TextField label="New password" name="password" input_type="password"
                        autocomplete="new-password" hint="At least 12 characters; not a password seen in a breach."
                        error=errors.field(Field::Password)/>
                    <TextField label="Confirm password" name="confirm_password" input_type="password"
                        autocomplete="new-password" error=errors.field(Field::ConfirmPassword)/>
                    <SubmitButton label="Set new password" pending=action.pending()/>
                </div>
            </ActionForm>
            <p class="mt-4 text-sm text-slate-600">
                "Link expired? "
                <a href="/forgot-password" class="font-medium text-sky-700 hover:underline">"Ask for a new one"</a>
            </p>
        </Card>
    }
}
