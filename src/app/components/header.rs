use leptos::prelude::*;

use crate::app::auth::Auth;

#[component]
pub fn Header() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let signed_in = move || auth.user.get().and_then(|user| user.ok().flatten());

    view! {
        <header class="border-b border-slate-200 bg-white">
            <div class="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-3 px-4 py-3">
                <a href="/" class="text-xl font-extrabold tracking-tight text-sky-700">
                    "Airtime"
                </a>
                <nav aria-label="Main" class="flex flex-wrap items-center gap-4 text-sm">
                    <Transition fallback=|| view! { <span class="text-slate-400">"…"</span> }>
                        {move || match signed_in() {
                            Some(user) => {
                                view! {
                                    <a href="/history" class="hover:underline">"History"</a>
                                    <a href="/athletes" class="hover:underline">"Athletes"</a>
                                    <a href="/account" class="hover:underline">"Account"</a>
                                    <span data-testid="current-user" class="font-medium text-slate-700">
                                        {user.email}
                                    </span>
                                    <ActionForm action=auth.sign_out>
                                        <button
                                            type="submit"
                                            class="rounded-md border border-slate-300 px-3 py-1.5 hover:bg-slate-100"
                                        >
                                            "Sign out"
                                        </button>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            None => {
                                view! {
                                    <a href="/signin" class="hover:underline">"Sign in"</a>
                                    <a
                                        href="/signup"
                                        class="rounded-md bg-sky-700 px-3 py-1.5 font-medium text-white hover:bg-sky-800"
                                    >
                                        "Create account"
                                    </a>
                                }
                                    .into_any()
                            }
                        }}
                    </Transition>
                </nav>
            </div>
        </header>
    }
}
