use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    app::{
        auth::Auth,
        components::form::{Card, FormAlert, FormErrors, FormNotice, SubmitButton, TextField},
    },
    error::Field,
};

#[component]
pub fn SignInPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let errors = FormErrors::new(auth.sign_in.value());
    let query = use_query_map();
    let after_reset = move || query.read().get("reset").is_some();
    view! {
        <Card title="Sign in">
            <ActionForm action=auth.sign_in>
                <div class="space-y-4">
                    <Show when=after_reset>
                        <FormNotice>
                            "Your password was reset and every device was signed out. Sign in with the new password."
                        </FormNotice>
                    </Show>
                    <FormAlert message=errors.general()/>
                    <TextField label="Email" name="email" input_type="email" autocomplete="email"
                        error=errors.field(Field::Email)/>
                    <TextField label="Password" name="password" input_type="password"
                        autocomplete="current-password" error=errors.field(Field::Password)/>
                    <SubmitButton label="Sign in" pending=auth.sign_in.pending()/>
                </div>
            </ActionForm>
            <p class="mt-4 text-sm">
                <a href="/forgot-password" class="font-medium text-sky-700 hover:underline">"Forgot password?"</a>
            </p>
            <p class="mt-4 text-sm text-slate-600">
                "New to Airtime? "
                <a href="/signup" class="font-medium text-sky-700 hover:underline">"Create an account"</a>
            </p>
        </Card>
    }
}
