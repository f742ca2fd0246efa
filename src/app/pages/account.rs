use leptos::prelude::*;

use crate::{
    app::{
        auth::Auth,
        components::form::{Card, FormAlert, FormErrors, SubmitButton, TextField},
    },
    error::Field,
};

#[component]
pub fn AccountPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || match auth.user.get().and_then(|u| u.ok().flatten()) {
                Some(user) => view! {
                    <div class="space-y-8">
                        <p class="text-center text-slate-600">
                            "Signed in as " <strong>{user.email}</strong>
                        </p>
                        <ChangePasswordForm/>
                        <DeleteAccountForm/>
                    </div>
                }
                    .into_any(),
                None => view! {
                    <Card title="Account">
                        <p>
                            <a href="/signin" class="font-medium text-sky-700 hover:underline">"Sign in"</a>
                            " to manage your account."
                        </p>
                    </Card>
                }
                    .into_any(),
            }}
        </Transition>
    }
}

#[component]
fn ChangePasswordForm() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let action = auth.change_password;
    let errors = FormErrors::new(action.value());
    let changed = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <Card title="Change password">
            <ActionForm action=action>
                <div class="space-y-4">
                    <Show when=changed>
                        <p role="status" class="rounded-md border border-green-200 bg-green-50 px-3 py-2 text-sm text-green-800">
                            "Your password was changed. Other devices have been signed out."
                        </p>
                    </Show>
                    <FormAlert message=errors.general()/>
                    <TextField label="Current password" name="current_password" input_type="password"
                        autocomplete="current-password" error=errors.field(Field::CurrentPassword)/>
                    <TextField label="New password" name="new_password" input_type="password"
                        autocomplete="new-password" hint="At least 10 characters; not a common password."
                        error=errors.field(Field::NewPassword)/>
                    <TextField label="Confirm password" name="confirm_password" input_type="password"
                        autocomplete="new-password" error=errors.field(Field::ConfirmPassword)/>
                    <SubmitButton label="Change password" pending=action.pending()/>
                </div>
            </ActionForm>
        </Card>
    }
}

#[component]
fn DeleteAccountForm() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let action = auth.delete_account;
    let errors = FormErrors::new(action.value());
    view! {
        <Card title="Delete account">
            <p class="mb-4 text-sm text-slate-600">
                "This deletes your account for good. Enter your password to confirm."
            </p>
            <ActionForm action=action>
                <div class="space-y-4">
                    <FormAlert message=errors.general()/>
                    <TextField label="Password" name="password" input_type="password"
                        autocomplete="current-password" error=errors.field(Field::Password)/>
                    <SubmitButton label="Delete account" pending=action.pending() danger=true/>
                </div>
            </ActionForm>
        </Card>
    }
}
