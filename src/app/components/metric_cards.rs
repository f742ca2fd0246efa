//! The metrics as cards: a plain-language label, the number and its unit. Each card carries
//! `data-metric="<name in the unit shown>"` and its number `data-value`, for users' scripts.

use leptos::prelude::*;

use airtime_kinematics::Metrics;

use crate::labels::metric_rows;

#[component]
pub fn MetricCards(metrics: Metrics) -> impl IntoView {
    let rows = metric_rows(&metrics);
    view! {
        <ul class="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4" aria-label="Metrics">
            {rows
                .into_iter()
                .enumerate()
                .map(|(n, row)| {
                    // The first metric (jump height) leads.
                    let (card_class, value_class) = if n == 0 {
                        (
                            "col-span-2 rounded-xl border border-sky-200 bg-sky-50 p-4 sm:col-span-1",
                            "text-4xl font-extrabold",
                        )
                    } else {
                        ("rounded-xl border border-slate-200 bg-white p-4", "text-2xl font-bold")
                    };
                    let value = row.value_text();
                    let value_attr = value.clone();
                    view! {
                        <li
                            data-metric=row.display_key()
                            class=card_class
                        >
                            <p class="text-sm text-slate-600">{row.label}</p>
                            <p class="mt-1">
                                <span
                                    data-value=value_attr
                                    class=value_class
                                >
                                    {value}
                                </span>
                                " "
                                <span class="text-slate-600">{row.unit}</span>
                            </p>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
