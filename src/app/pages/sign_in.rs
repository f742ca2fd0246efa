use leptos::prelude::*;

use crate::{
    app::{
        auth::Auth,
        components::form::{Card, FormAlert, FormErrors, SubmitButton, TextField},
    },
    error::Field,
};

#[component]
pub fn SignInPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let errors = FormErrors::new(auth.sign_in.value());
    view! {
        <Card title="Sign in">
            <ActionForm action=auth.sign_in>
                <div class="space-y-4">
                    <FormAlert message=errors.general()/>
                    <TextField label="Email" name="email" input_type="email" autocomplete="email"
                        error=errors.field(Field::Email)/>
                    <TextField label="Password" name="password" input_type="password"
                        autocomplete="current-password" error=errors.field(Field::Password)/>
                    <SubmitButton label="Sign in" pending=auth.sign_in.pending()/>
                </div>
            </ActionForm>
            <p class="mt-4 text-sm text-slate-600">
                "New to Airtime? "
                <a href="/signup" class="font-medium text-sky-700 hover:underline">"Create an account"</a>
            </p>
        </Card>
    }
}
