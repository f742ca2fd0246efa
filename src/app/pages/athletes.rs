//! `/athletes`: the coach's athletes and a form to add one.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::athletes::{list_athletes, CreateAthlete},
    app::auth::Auth,
    app::components::form::{FormAlert, FormErrors, SubmitButton, TextField},
    domain::athlete::Sex,
    error::Field,
};

#[component]
pub fn AthletesPage() -> impl IntoView {
    let create = ServerAction::<CreateAthlete>::new();
    let athletes = Resource::new(move || create.version().get(), |_| list_athletes());
    let errors = FormErrors::new(create.value());
    let auth = expect_context::<Auth>();
    let signed_out = move || matches!(auth.user.get(), Some(Ok(None)));

    view! {
        <Title text="Athletes — Airtime"/>
        <div class="space-y-6">
            <h1 class="text-3xl font-bold">"Athletes"</h1>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || athletes.get().map(|loaded| match loaded {
                    _ if signed_out() => view! {
                        <p>
                            <a href="/signin" class="font-medium text-sky-700 hover:underline">"Sign in"</a>
                            " to keep your athletes."
                        </p>
                    }
                        .into_any(),
                    Err(e) => view! { <p role="alert" class="text-red-800">{e.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="text-slate-700">"No athletes yet. Add the first one below."</p>
                    }
                        .into_any(),
                    Ok(list) => view! {
                        <ul aria-label="Your athletes" class="divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white">
                            {list
                                .into_iter()
                                .map(|a| view! {
                                    <li class="flex items-center justify-between px-4 py-3">
                                        <a href=format!("/athletes/{}", a.id) class="font-semibold text-sky-700 hover:underline">{a.name}</a>
                                        <span class="text-sm text-slate-600">
                                            {[
                                                a.body_mass_kg.map(|kg| format!("{kg:.1} kg")),
                                                a.sex.map(|s| s.label().to_string()),
                                                a.birth_year.map(|y| format!("born {y}")),
                                            ]
                                                .into_iter()
                                                .flatten()
                                                .collect::<Vec<_>>()
                                                .join(" · ")}
                                        </span>
                                    </li>
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any(),
                })}
            </Transition>
            <section aria-labelledby="new-athlete" class="max-w-md space-y-4 rounded-xl border border-slate-200 bg-white p-6">
                <h2 id="new-athlete" class="text-xl font-bold">"Add an athlete"</h2>
                <ActionForm action=create>
                    <div class="space-y-4">
                        <FormAlert message=errors.general()/>
                        <TextField label="Name" name="name" autocomplete="off" error=errors.field(Field::Name)/>
                        <TextField label="Body mass (kg, optional)" name="body_mass_kg" input_type="number" autocomplete="off" optional=true error=errors.field(Field::BodyMass)/>
                        <div class="space-y-1">
                            <label for="field-sex" class="block text-sm font-medium text-slate-800">"Sex (optional)"</label>
                            <select id="field-sex" name="sex" class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2">
                                <option value="">"Not given"</option>
                                {Sex::ALL.into_iter().map(|s| view! { <option value=s.code()>{s.label()}</option> }).collect_view()}
                            </select>
                            <p class="text-sm text-red-700">{move || errors.field(Field::Sex).get()}</p>
                        </div>
                        <TextField label="Birth year (optional)" name="birth_year" input_type="number" autocomplete="off" optional=true error=errors.field(Field::BirthYear)/>
                        <SubmitButton label="Add athlete" pending=create.pending()/>
                    </div>
                </ActionForm>
            </section>
        </div>
    }
}
