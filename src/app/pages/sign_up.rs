use leptos::prelude::*;

use crate::{
    app::{
        auth::Auth,
        components::form::{Card, FormAlert, FormErrors, SubmitButton, TextField},
    },
    error::Field,
};

#[component]
pub fn SignUpPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let errors = FormErrors::new(auth.sign_up.value());
    view! {
        <Card title="Create your account">
            <p class="mb-4 text-sm text-slate-600">
                "Keep every athlete's jumps in one place and see how they progress."
            </p>
            <ActionForm action=auth.sign_up>
                <div class="space-y-4">
                    <FormAlert message=errors.general()/>
                    <TextField label="Email" name="email" input_type="email" autocomplete="email"
                        error=errors.field(Field::Email)/>
                    <TextField label="Password" name="password" input_type="password"
                        autocomplete="new-password" hint="At least 12 characters; not a password seen in a breach."
                        error=errors.field(Field::Password)/>
                    <TextField label="Confirm password" name="confirm_password" input_type="password"
                        autocomplete="new-password" error=errors.field(Field::ConfirmPassword)/>
                    <SubmitButton label="Sign up" pending=auth.sign_up.pending()/>
                </div>
            </ActionForm>
            <p class="mt-4 text-sm text-slate-600">
                "Already have an account? "
                <a href="/signin" class="font-medium text-sky-700 hover:underline">"Sign in instead"</a>
            </p>
        </Card>
    }
}
