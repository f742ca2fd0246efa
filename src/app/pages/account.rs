use leptos::prelude::*;

use crate::{
    api::accounts::{signed_in_devices, EndOtherSessions, EndSession},
    app::{
        auth::Auth,
        components::form::{Card, FormAlert, FormErrors, FormNotice, SubmitButton, TextField},
    },
    domain::user::SignedInDevice,
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
                        <SignedInDevices/>
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
                        <FormNotice>"Your password was changed. Other devices have been signed out."</FormNotice>
                    </Show>
                    <FormAlert message=errors.general()/>
                    <TextField label="Current password" name="current_password" input_type="password"
                        autocomplete="current-password" error=errors.field(Field::CurrentPassword)/>
                    <TextField label="New password" name="new_password" input_type="password"
                        autocomplete="new-password" hint="At least 12 characters; not a password seen in a breach."
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

/// Every browser signed in to the account, each with a way to sign it out (ASVS V3.3.4).
#[component]
fn SignedInDevices() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let end_one = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let devices = Resource::new(
        move || {
            (
                end_one.version().get(),
                end_others.version().get(),
                auth.change_password.version().get(),
            )
        },
        |_| signed_in_devices(),
    );
    let errors = FormErrors::new(end_one.value());
    let others_errors = FormErrors::new(end_others.value());
    let ended = move || match end_others.value().get() {
        Some(Ok(0)) => Some("No other device was signed in.".to_string()),
        Some(Ok(1)) => Some("One other device was signed out.".to_string()),
        Some(Ok(n)) => Some(format!("{n} other devices were signed out.")),
        _ => None,
    };
    view! {
        <Card title="Signed-in devices">
            <div class="space-y-4">
                <p class="text-sm text-slate-600">
                    "Browsers signed in to your account. Sign out any you do not recognise."
                </p>
                <FormAlert message=errors.general()/>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || devices.get().map(|listed| match listed {
                        Ok(list) => view! {
                            <ul class="divide-y divide-slate-200" aria-label="Signed-in devices">
                                {list
                                    .into_iter()
                                    .map(|device| view! { <DeviceRow device end_one/> })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any(),
                        Err(error) => view! { <FormAlert message=Signal::derive(move || Some(error.to_string()))/> }
                            .into_any(),
                    })}
                </Transition>
                <FormAlert message=others_errors.general()/>
                {move || ended().map(|message| view! { <FormNotice>{message}</FormNotice> })}
                <ActionForm action=end_others>
                    <SubmitButton label="Sign out everywhere else" pending=end_others.pending()/>
                </ActionForm>
            </div>
        </Card>
    }
}

#[component]
fn DeviceRow(device: SignedInDevice, end_one: ServerAction<EndSession>) -> impl IntoView {
    let label = format!(
        "Sign out {} (last seen {})",
        device.device, device.last_seen
    );
    let details = format!(
        "{} · last seen {} · signed in {}",
        device.ip, device.last_seen, device.signed_in
    );
    view! {
        <li class="flex items-center justify-between gap-4 py-3" data-testid="signed-in-device">
            <div>
                <p class="font-medium">
                    {device.device.clone()}
                    {device.current.then(|| view! {
                        <span class="ml-2 rounded bg-sky-100 px-2 py-0.5 text-xs font-medium text-sky-800">
                            "This device"
                        </span>
                    })}
                </p>
                <p class="text-sm text-slate-600">{details}</p>
            </div>
            {(!device.current).then(|| view! {
                <ActionForm action=end_one>
                    <input type="hidden" name="id" value=device.id.clone()/>
                    <button type="submit" aria-label=label
                        class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-50">
                        "Sign out"
                    </button>
                </ActionForm>
            })}
        </li>
    }
}
