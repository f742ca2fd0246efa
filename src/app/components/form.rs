//! Labelled inputs with their error beside them, the form-level error banner and the submit
//! button, shared by every form.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::error::{AppError, Field};

/// The error a form shows: its action's last result or, after a post without JavaScript, the
/// error the server sent back in the `error` query parameter.
#[derive(Clone, Copy)]
pub struct FormErrors(Memo<Option<AppError>>);

impl FormErrors {
    pub fn new<O, V>(value: V) -> Self
    where
        V: Get<Value = Option<Result<O, AppError>>> + Send + Sync + 'static,
    {
        let query = use_query_map();
        Self(Memo::new(move |_| match value.get() {
            Some(Ok(_)) => None,
            Some(Err(error)) => Some(error),
            None => query
                .read()
                .get("error")
                .and_then(|json| serde_json::from_str::<AppError>(&json).ok())
                .map(AppError::into_fixed_text),
        }))
    }

    pub fn field(self, field: Field) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.0
                .get()
                .filter(|e| e.field() == Some(field))
                .map(|e| e.to_string())
        })
    }

    /// Errors that belong to no single field.
    pub fn general(self) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.0
                .get()
                .filter(|e| e.field().is_none())
                .map(|e| e.to_string())
        })
    }
}

#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] error: Signal<Option<String>>,
    /// May be left empty.
    #[prop(default = false)]
    optional: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let message_id = format!("{id}-message");
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium text-slate-800">
                {label}
            </label>
            <input
                id=id
                name=name
                type=input_type
                autocomplete=autocomplete
                required=!optional
                step=(input_type == "number").then_some("any")
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=message_id.clone()
                class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 shadow-sm focus:border-sky-600 focus:outline-none focus:ring-2 focus:ring-sky-200 aria-[invalid=true]:border-red-600"
            />
            <p id=message_id aria-live="polite" class="text-sm">
                {move || match error.get() {
                    Some(message) => view! { <span class="text-red-700">{message}</span> }.into_any(),
                    None => view! { <span class="text-slate-500">{hint}</span> }.into_any(),
                }}
            </p>
        </div>
    }
}

#[component]
pub fn FormAlert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div aria-live="assertive">
            {move || {
                message
                    .get()
                    .map(|text| {
                        view! {
                            <p
                                role="alert"
                                class="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800"
                            >
                                {text}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// A success message above a form.
#[component]
pub fn FormNotice(children: Children) -> impl IntoView {
    view! {
        <p role="status" class="rounded-md border border-green-200 bg-green-50 px-3 py-2 text-sm text-green-800">
            {children()}
        </p>
    }
}

#[component]
pub fn SubmitButton(
    label: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(default = false)] danger: bool,
) -> impl IntoView {
    let colours = if danger {
        "bg-red-700 hover:bg-red-800"
    } else {
        "bg-sky-700 hover:bg-sky-800"
    };
    view! {
        <button
            type="submit"
            disabled=move || pending.get()
            class=format!(
                "w-full rounded-md px-4 py-2 font-semibold text-white shadow-sm disabled:opacity-60 {colours}",
            )
        >
            {label}
        </button>
    }
}

#[component]
pub fn Card(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="mx-auto w-full max-w-md rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
            <h1 class="mb-4 text-2xl font-bold">{title}</h1>
            {children()}
        </section>
    }
}
